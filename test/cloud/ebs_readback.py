#!/usr/bin/env python3
"""Read an uploaded snapshot back through the EBS direct APIs (boto3, which
comes with moto: an implementation independent of pith's) and check it
against the image pith uploaded.

usage: ebs_readback.py ENDPOINT REGION SNAPSHOT IMAGE OUT_RAW

Writes every block into OUT_RAW (a sparse file as long as IMAGE), then
checks: the listed blocks are exactly IMAGE's blocks that are not all zeros
(so zero blocks were skipped and none is missing), and each stored block equals
IMAGE's block byte for byte (so OUT_RAW equals IMAGE: the rest of both is zeros). Prints one summary line; exit 0 when all holds, else 1 with
the first difference."""
import os
import sys

import boto3

BLOCK = 512 * 1024


def main():
    endpoint, region, snapshot, image, out = sys.argv[1:6]
    ebs = boto3.client("ebs", endpoint_url=endpoint, region_name=region,
                       aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
    listed = []
    token = None
    while True:
        kw = {"SnapshotId": snapshot}
        if token:
            kw["NextToken"] = token
        page = ebs.list_snapshot_blocks(**kw)
        listed += [(b["BlockIndex"], b["BlockToken"]) for b in page.get("Blocks", [])]
        token = page.get("NextToken")
        if not token:
            break
    size = os.path.getsize(image)
    nblocks = (size + BLOCK - 1) // BLOCK
    image_blocks = {}
    with open(image, "rb") as f:
        # Only the data regions are read (SEEK_DATA): the rest is holes, zeros by definition.
        fd = f.fileno()
        pos = 0
        while pos < size:
            try:
                pos = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break
            index = pos // BLOCK
            f.seek(index * BLOCK)
            block = f.read(BLOCK).ljust(BLOCK, b"\0")
            if block.strip(b"\0"):
                image_blocks[index] = block
            pos = (index + 1) * BLOCK
    want = set(image_blocks)
    got = {i for i, _ in listed}
    problems = []
    if got - want:
        problems.append(f"blocks stored that are all zeros in the image: {sorted(got - want)[:10]}")
    if want - got:
        problems.append(f"data blocks missing from the snapshot: {sorted(want - got)[:10]}")
    with open(out, "wb") as f:
        f.truncate(size)
        for index, tok in listed:
            body = ebs.get_snapshot_block(SnapshotId=snapshot, BlockIndex=index, BlockToken=tok)["BlockData"].read()
            if len(body) != BLOCK:
                problems.append(f"block {index}: {len(body)} bytes, not {BLOCK}")
                continue
            if index in image_blocks and body != image_blocks[index]:
                problems.append(f"block {index} differs from the image")
            f.seek(index * BLOCK)
            f.write(body[:min(BLOCK, size - index * BLOCK)])
    print(f"readback: {len(listed)} blocks listed, {len(want)} data blocks of {nblocks} in the image"
          + ("; " + "; ".join(problems) if problems else "; identical"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
