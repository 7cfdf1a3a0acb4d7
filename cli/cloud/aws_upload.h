/* Uploading an image to AWS as an AMI: EBS direct APIs into a new snapshot,
 * then EC2 RegisterImage (docs/cloud.md). */
#pragma once
#include "../cmd_image_upload.h"

/* Returns the exit status (see image_upload). */
int aws_upload_image(const struct upload_options *o);
