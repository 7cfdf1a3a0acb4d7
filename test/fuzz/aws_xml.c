/* EC2's XML replies (cli/cloud/aws_xml.c): parse, then walk the tree the way
 * cli/cloud/aws_instance.c and aws_upload.c read DescribeInstances,
 * DescribeImages, RunInstances, GetConsoleOutput, RegisterImage and errors
 * (aws_service_error, as aws_http.c reads a failed reply). */
#include "fuzz.h"

#include "../../cli/cloud/aws_http.h"
#include "../../cli/cloud/aws_xml.h"

static void walk_instances(const struct xml_node *root)
{
    const struct xml_node *set = xml_path(root, "reservationSet");
    for (const struct xml_node *res = set ? set->child : NULL; res; res = res->next) {
        const struct xml_node *insts = xml_path(res, "instancesSet");
        for (const struct xml_node *inst = insts ? insts->child : NULL; inst; inst = inst->next) {
            (void)strlen(xml_text(inst, "instanceId"));
            (void)strlen(xml_text(inst, "instanceState/name"));
            (void)strlen(xml_text(inst, "launchTime"));
            const struct xml_node *tags = xml_path(inst, "tagSet");
            for (const struct xml_node *t = tags ? tags->child : NULL; t; t = t->next)
                (void)strcmp(xml_text(t, "key"), xml_text(t, "value"));
        }
    }
    const struct xml_node *images = xml_child(root, "imagesSet");
    for (const struct xml_node *it = images ? images->child : NULL; it; it = it->next)
        (void)strlen(xml_text(it, "imageId"));
    (void)strlen(xml_text(root, "instancesSet/item/instanceId"));
    (void)strlen(xml_text(root, "instancesSet/item/currentState/name"));
    (void)strlen(xml_text(root, "output"));
    (void)strlen(xml_text(root, "imageId"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);   /* replies are NUL-terminated (aws_http.h) */
    FUZZ_ASSERT(text);
    memcpy(text, data, size);
    text[size] = 0;
    char err[256] = "";
    struct xml_node *root = xml_parse(text, size, err, sizeof err);
    if (root) {
        FUZZ_ASSERT(root->name && root->text);
        walk_instances(root);
        xml_free(root);
    } else {
        FUZZ_ASSERT(err[0]);
    }
    struct aws_response resp = { .status = 400, .body = text, .body_len = size };
    char code[128], msg[256];
    aws_service_error(&resp, code, sizeof code, msg, sizeof msg);
    FUZZ_ASSERT(!strchr(code, '\n') && !strchr(msg, '\n'));
    free(text);
    return 0;
}
