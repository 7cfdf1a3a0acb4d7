"""moto_replies.py DIR: start moto_server on a free port, make the EC2 and EBS
calls pith makes (and some that fail), and save each reply body exactly as
moto sent it: DIR/NN_Operation.xml (EC2) or .json (EBS). Seeds for the
aws_xml and aws_json fuzz targets (test/fuzz/make-corpus)."""
import os
import socket
import subprocess
import sys
import time

import boto3
import botocore.exceptions

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    url = "http://127.0.0.1:%d" % port
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing")
    ec2 = boto3.client("ec2", **kw)
    ebs = boto3.client("ebs", **kw)
    count = [0]

    def save(http_response, model, **_):
        count[0] += 1
        ext = "json" if model.service_model.service_name == "ebs" else "xml"
        name = "%02d_%s.%s" % (count[0], model.name, ext)
        with open(os.path.join(out, name), "wb") as f:
            f.write(http_response.content)

    for client in (ec2, ebs):
        client.meta.events.register("after-call", save)

    def call(fn, **args):
        try:
            return fn(**args)
        except botocore.exceptions.ClientError as e:
            return e.response
        except botocore.exceptions.BotoCoreError:
            return None

    snap = call(ebs.start_snapshot, VolumeSize=1, Description="pith fuzz seed", Timeout=60)
    sid = snap.get("SnapshotId", "snap-0") if snap else "snap-0"
    call(ebs.put_snapshot_block, SnapshotId=sid, BlockIndex=0, BlockData=b"\1" * 524288,
         DataLength=524288, Checksum="x", ChecksumAlgorithm="SHA256")
    call(ebs.complete_snapshot, SnapshotId=sid, ChangedBlocksCount=1)
    call(ebs.complete_snapshot, SnapshotId="snap-doesnotexist", ChangedBlocksCount=1)
    img = call(ec2.register_image, Name="pith-fuzz", Architecture="x86_64", RootDeviceName="/dev/xvda",
               BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid}}],
               VirtualizationType="hvm", BootMode="uefi")
    ami = img.get("ImageId", "ami-0") if img else "ami-0"
    call(ec2.describe_images, Owners=["self"])
    call(ec2.describe_images, Filters=[{"Name": "name", "Values": ["pith-fuzz"]}])
    run = call(ec2.run_instances, ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro",
               TagSpecifications=[{"ResourceType": "instance",
                                   "Tags": [{"Key": "Name", "Value": "fuzz"}, {"Key": "pith", "Value": "1"}]}])
    iid = run["Instances"][0]["InstanceId"] if run and run.get("Instances") else "i-0"
    call(ec2.describe_instances)
    call(ec2.describe_instances, Filters=[{"Name": "tag:Name", "Values": ["fuzz"]}])
    call(ec2.get_console_output, InstanceId=iid)
    call(ec2.stop_instances, InstanceIds=[iid])
    call(ec2.start_instances, InstanceIds=[iid])
    call(ec2.terminate_instances, InstanceIds=[iid])
    call(ec2.describe_instances, InstanceIds=["i-doesnotexist0"])
    call(ec2.deregister_image, ImageId="ami-doesnotexist")
finally:
    server.terminate()
    server.wait()
