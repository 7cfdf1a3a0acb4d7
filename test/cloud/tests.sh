# `pith image upload --provider aws` and `pith instance ... --provider aws`
# against moto_server, a real AWS protocol server (EBS direct + EC2 on one
# port), started on a free loopback port by each test and stopped by its pid.
# Sourced by test/run-tests (uses its add, record, finish, run_pith, BUILD,
# PITH, LOGS, SCRATCH, SKIPS):
#  cloud_aws_upload   a real image (pith build: hello plus 3 MiB of random
#                     bytes) uploaded through a proxy that checks every
#                     request's SigV4 signature with botocore, as AWS would
#                     (moto does not); every block read back with boto3
#                     (ListSnapshotBlocks, GetSnapshotBlock): exactly the
#                     image's nonzero blocks were sent, the raw file they make
#                     equals the image (cmp) and boots in the cloud profile
#                     (pith run --cloud-like --image, BIOS and UEFI);
#                     --json, plain and --quiet output; then instance create,
#                     ls, logs (console output), stop, rm.
#  cloud_aws_resume   an upload killed (SIGKILL) midway through a slow proxy,
#                     rerun: it continues in the same snapshot, sends none of
#                     the blocks recorded before the kill, and the snapshot
#                     reads back identical.
#  cloud_aws_faults   through test/cloud/fault_proxy.py: throttling (429/503)
#                     and 500s are retried (the data still reads back
#                     identical), endless 500s give up with one line, refused
#                     credentials (EBS JSON and EC2 XML), malformed XML and
#                     JSON replies, no credentials, no region: one line each,
#                     never a crash; a profile from ~/.aws files works.
# moto_server comes from pip (moto[server] 5.x); without it these are skipped.

# cloud_free_port: a port nobody listens on right now.
cloud_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# cloud_moto_start LOG: start moto_server, wait (at most 60 s) until it answers.
# Sets MOTO_URL and MOTO_PID; returns 1 if it did not come up.
cloud_moto_start() {
    local log=$1 port i
    port=$(cloud_free_port)
    moto_server -H 127.0.0.1 -p "$port" > "$log.moto" 2>&1 &
    MOTO_PID=$!
    MOTO_URL=http://127.0.0.1:$port
    for ((i = 0; i < 600; i++)); do
        (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return 0
        kill -0 "$MOTO_PID" 2> /dev/null || break
        sleep 0.1
    done
    echo "moto_server did not answer on $MOTO_URL: $(tail -n 3 "$log.moto")" >> "$log"
    return 1
}

# cloud_proxy_start LOG PROXYLOG ARGS...: fault_proxy.py in front of moto.
# Sets PROXY_URL and PROXY_PID.
cloud_proxy_start() {
    local log=$1 plog=$2 portfile i; shift 2
    portfile=$plog.port
    rm -f "$portfile"; : > "$plog"
    python3 test/cloud/fault_proxy.py --upstream "$MOTO_URL" --port-file "$portfile" --log "$plog" "$@" \
        >> "$log" 2>&1 &
    PROXY_PID=$!
    for ((i = 0; i < 200; i++)); do
        [ -s "$portfile" ] && { PROXY_URL=http://127.0.0.1:$(cat "$portfile"); return 0; }
        sleep 0.05
    done
    echo "fault_proxy.py did not start" >> "$log"
    return 1
}

cloud_stop() {
    local pid
    for pid in "$@"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2> /dev/null
        wait "$pid" 2> /dev/null
    done
}

# The environment every pith call of a test sees (the test runs in a subshell).
cloud_env() {
    local dir=$PWD/$1   # XDG_STATE_HOME counts only when absolute
    export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret AWS_REGION=us-east-1
    export AWS_ENDPOINT_URL=$MOTO_URL XDG_STATE_HOME=$dir/state HOME=$dir/home
    export PITH_AWS_BACKOFF_MS=10
    unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_REGION AWS_DEFAULT_PROFILE AWS_CONFIG_FILE \
          AWS_SHARED_CREDENTIALS_FILE AWS_ENDPOINT_URL_EBS AWS_ENDPOINT_URL_EC2
    mkdir -p "$dir/home" "$dir/state"
}

# cloud_json FILE KEY: a value from pith's --json line.
cloud_json() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2> /dev/null
}

# cloud_image DIR MIB: a Pith image of hello plus MIB MiB of random bytes.
cloud_image() {
    local dir=$1 mib=$2 log=$3
    head -c "$((mib * 1024 * 1024))" /dev/urandom > "$dir/random.bin"
    run_pith "$log" "$dir/tmp" build -o "$dir/app.img" -f "$dir/random.bin:/random.bin" "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ]
}

# cloud_readback LOG DIR SNAPSHOT: check the snapshot against DIR/app.img; "" if identical.
cloud_readback() {
    local log=$1 dir=$2 snap=$3
    if python3 test/cloud/ebs_readback.py "$MOTO_URL" us-east-1 "$snap" "$dir/app.img" "$dir/back.raw" >> "$log" 2>&1; then
        return
    fi
    echo "read back: $(tail -n 1 "$log"); "
}

# cloud_one_line NAME: stderr of the last run is exactly one "pith: " line; else a problem.
cloud_one_line() {
    local what=$1
    [ "$(wc -l < "$RAW.err")" -eq 1 ] && grep -q '^pith: ' "$RAW.err" ||
        echo "$what: stderr is not one 'pith:' line: $(head -c 300 "$RAW.err" | tr '\n' '|'); "
}

cloud_aws_upload() {
    local name=cloud_aws_upload log=$LOGS/cloud_aws_upload.log dir=$SCRATCH/cloud_aws_upload problems=""
    rm -rf "$dir"; mkdir -p "$dir/tmp"; : > "$log"
    cloud_moto_start "$log" || { cloud_stop "$MOTO_PID"; record $name FAIL "moto_server did not start"; return; }
    cloud_env "$dir"
    if ! cloud_image "$dir" 3 "$log"; then
        cloud_stop "$MOTO_PID"; record $name FAIL "pith build: exit $rc"; return
    fi
    # Every request of this test passes a proxy that checks its SigV4 signature as AWS
    # would (moto does not), temporary credentials' token included.
    cloud_proxy_start "$log" "$dir/proxy.log" --check-signatures secret ||
        { cloud_stop "$PROXY_PID" "$MOTO_PID"; record $name FAIL "proxy did not start"; return; }
    export AWS_ENDPOINT_URL=$PROXY_URL AWS_SESSION_TOKEN=token-of-the-test
    run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --json --jobs 4
    cp "$RAW.out" "$dir/result.json"
    local snap ami sent data total
    snap=$(cloud_json "$dir/result.json" snapshot_id); ami=$(cloud_json "$dir/result.json" image_id)
    sent=$(cloud_json "$dir/result.json" blocks_sent); data=$(cloud_json "$dir/result.json" blocks_data)
    total=$(cloud_json "$dir/result.json" blocks_total)
    if [ "$rc" -ne 0 ] || [[ $snap != snap-* ]] || [[ $ami != ami-* ]]; then
        problems+="upload: exit $rc, '$(head -c 200 "$RAW.err" | tr '\n' '|')'; "
    else
        [ "$sent" = "$data" ] && [ "$data" -ge 7 ] && [ "$data" -lt "$total" ] ||
            problems+="blocks: sent $sent, data $data, total $total; "
        grep -q '^pith: uploaded .* blocks in ' "$RAW.err" || problems+="no progress lines on stderr; "
        problems+=$(cloud_readback "$log" "$dir" "$snap")
        cmp "$dir/app.img" "$dir/back.raw" >> "$log" 2>&1 || problems+="cmp: read back differs from the image; "
        # Booted as a cloud machine would boot it: BIOS and UEFI, NVMe, no QEMU-only devices.
        run_pith "$log" "$dir/tmp" run --timeout 100s --cloud-like --image "$dir/back.raw"
        [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="the read-back image did not boot (--cloud-like, BIOS): exit $rc; "
        run_pith "$log" "$dir/tmp" run --timeout 100s --cloud-like --boot uefi --image "$dir/back.raw"
        [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="the read-back image did not boot (--cloud-like, UEFI): exit $rc; "
        [ -z "$(ls -A "$dir/state/pith/uploads")" ] || problems+="upload state left behind; "
    fi
    # Plain output is the AMI id alone; --quiet prints nothing else.
    run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --quiet --name app-copy
    grep -qE '^ami-[0-9a-f]+$' "$RAW.out" && [ "$(wc -l < "$RAW.out")" -eq 1 ] && [ ! -s "$RAW.err" ] ||
        problems+="--quiet upload: exit $rc, stdout '$(head -c 100 "$RAW.out")', stderr '$(head -c 100 "$RAW.err")'; "
    # Instances from the AMI, by name.
    run_pith "$log" "$dir/tmp" instance create web --provider aws --image app --type t3.small
    local iid; iid=$(awk '{print $2}' "$RAW.out")
    [ "$rc" -eq 0 ] && [[ $iid == i-* ]] || problems+="instance create: exit $rc; "
    run_pith "$log" "$dir/tmp" instance create web --provider aws --image app
    [ "$rc" -eq 2 ] && grep -q "instance web exists ($iid)" "$RAW.err" || problems+="second create: exit $rc; "
    run_pith "$log" "$dir/tmp" instance create other --provider aws
    [ "$rc" -eq 1 ] && grep -q "no AMI named 'other'" "$RAW.err" || problems+="create without an AMI: exit $rc; "
    run_pith "$log" "$dir/tmp" instance ls --provider aws
    grep -qE "^web +$iid +running +t3.small +$ami " "$RAW.out" || problems+="ls: no running web; "
    run_pith "$log" "$dir/tmp" instance logs web --provider aws
    [ "$rc" -eq 0 ] && grep -q 'Linux version' "$RAW.out" || problems+="logs: exit $rc, no console output; "
    run_pith "$log" "$dir/tmp" instance stop web --provider aws
    [ "$rc" -eq 0 ] || problems+="stop: exit $rc; "
    run_pith "$log" "$dir/tmp" instance ls --provider aws
    grep -qE "^web +$iid +stopped " "$RAW.out" || problems+="ls after stop: not stopped; "
    run_pith "$log" "$dir/tmp" instance rm web --provider aws
    [ "$rc" -eq 0 ] || problems+="rm: exit $rc; "
    run_pith "$log" "$dir/tmp" instance ls --provider aws
    grep -q "^web " "$RAW.out" && problems+="ls after rm still lists web; "
    run_pith "$log" "$dir/tmp" instance logs web --provider aws
    [ "$rc" -eq 2 ] && grep -q "no instance named 'web'" "$RAW.err" || problems+="logs after rm: exit $rc; "
    grep -q ' badsig' "$dir/proxy.log" &&
        problems+="signatures AWS would refuse: $(grep -c ' badsig' "$dir/proxy.log") requests, first: $(grep -m1 ' badsig' "$dir/proxy.log"); "
    grep -q '^PUT /snapshots/.*/blocks/.* 201$' "$dir/proxy.log" && grep -q '^POST / 200$' "$dir/proxy.log" ||
        problems+="the proxy saw no block PUT or EC2 call; "
    problems+=$(leftovers "$dir/tmp")
    cloud_stop "$PROXY_PID" "$MOTO_PID"
    [ -n "$problems" ] || rm -rf "$dir"
    finish $name "$problems"
}

cloud_aws_resume() {
    local name=cloud_aws_resume log=$LOGS/cloud_aws_resume.log dir=$SCRATCH/cloud_aws_resume problems=""
    rm -rf "$dir"; mkdir -p "$dir/tmp"; : > "$log"
    cloud_moto_start "$log" || { cloud_stop "$MOTO_PID"; record $name FAIL "moto_server did not start"; return; }
    cloud_env "$dir"
    if ! cloud_image "$dir" 8 "$log"; then
        cloud_stop "$MOTO_PID"; record $name FAIL "pith build: exit $rc"; return
    fi
    # Every block PUT of the first 12 waits 400 ms: the kill lands midway.
    cloud_proxy_start "$log" "$dir/proxy.log" --delay-ms 400 --delay-first 12 ||
        { cloud_stop "$PROXY_PID" "$MOTO_PID"; record $name FAIL "proxy did not start"; return; }
    export AWS_ENDPOINT_URL=$PROXY_URL
    echo "\$ $PITH image upload $dir/app.img --provider aws --jobs 2 (killed midway)" >> "$log"
    TMPDIR=$dir/tmp "$PITH" image upload "$dir/app.img" --provider aws --jobs 2 > "$dir/first.out" 2> "$dir/first.err" < /dev/null &
    local pid=$! i state done_before
    for ((i = 0; i < 300; i++)); do
        state=$(ls "$dir"/state/pith/uploads/* 2> /dev/null | head -n 1)
        [ -n "$state" ] && [ "$(grep -c '^block ' "$state")" -ge 4 ] && break
        sleep 0.1
    done
    kill -KILL "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
    cat "$dir/first.err" >> "$log"
    if [ -z "$state" ] || [ "$(grep -c '^block ' "$state")" -lt 4 ]; then
        problems+="the first upload recorded fewer than 4 blocks in 30 s; "
    elif grep -q '^completed' "$state"; then
        problems+="the first upload finished before the kill; "
    else
        grep '^block ' "$state" | awk '{print $2}' | sort > "$dir/done_before"
        done_before=$(wc -l < "$dir/done_before")
        local cut; cut=$(wc -l < "$dir/proxy.log")
        run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --jobs 2 --json
        cp "$RAW.out" "$dir/result.json"
        local snap resumed sent data
        snap=$(cloud_json "$dir/result.json" snapshot_id); resumed=$(cloud_json "$dir/result.json" blocks_resumed)
        sent=$(cloud_json "$dir/result.json" blocks_sent); data=$(cloud_json "$dir/result.json" blocks_data)
        if [ "$rc" -ne 0 ] || [[ $snap != snap-* ]]; then
            problems+="rerun: exit $rc '$(head -c 200 "$RAW.err" | tr '\n' '|')'; "
        else
            grep -q "^pith: resuming the upload into $snap" "$RAW.err" || problems+="rerun did not say it resumes $snap; "
            grep -q "snapshot $snap" "$state" 2> /dev/null || grep -q "into $snap" "$dir/first.err" ||
                problems+="rerun used another snapshot than the first run; "
            [ "$resumed" -ge "$done_before" ] && [ $((resumed + sent)) -eq "$data" ] ||
                problems+="resumed $resumed (recorded $done_before) + sent $sent != data $data; "
            tail -n +"$((cut + 1))" "$dir/proxy.log" | sed -n 's|^PUT /snapshots/[^/]*/blocks/\([0-9]*\) .*|\1|p' |
                sort > "$dir/sent_after"
            local again; again=$(comm -12 "$dir/done_before" "$dir/sent_after" | tr '\n' ' ')
            [ -z "$again" ] || problems+="blocks recorded before the kill were sent again: $again; "
            problems+=$(cloud_readback "$log" "$dir" "$snap")
            [ -z "$(ls -A "$dir/state/pith/uploads")" ] || problems+="upload state left behind; "
        fi
    fi
    cloud_stop "$PROXY_PID" "$MOTO_PID"
    [ -n "$problems" ] || rm -rf "$dir"
    finish $name "$problems"
}

cloud_aws_faults() {
    local name=cloud_aws_faults log=$LOGS/cloud_aws_faults.log dir=$SCRATCH/cloud_aws_faults problems=""
    rm -rf "$dir"; mkdir -p "$dir/tmp"; : > "$log"
    cloud_moto_start "$log" || { cloud_stop "$MOTO_PID"; record $name FAIL "moto_server did not start"; return; }
    cloud_env "$dir"
    if ! cloud_image "$dir" 2 "$log"; then
        cloud_stop "$MOTO_PID"; record $name FAIL "pith build: exit $rc"; return
    fi
    local snap retries n
    # Throttling: 6 block PUTs answered 429/503, then the upload goes through and reads back identical.
    cloud_proxy_start "$log" "$dir/throttle.log" --throttle 6 || problems+="proxy did not start; "
    AWS_ENDPOINT_URL=$PROXY_URL run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --json --quiet --name throttled
    cp "$RAW.out" "$dir/throttle.json"
    snap=$(cloud_json "$dir/throttle.json" snapshot_id); retries=$(cloud_json "$dir/throttle.json" retries)
    n=$(grep -c 'injected' "$dir/throttle.log")
    if [ "$rc" -ne 0 ] || [ "${retries:-0}" -lt 6 ] || [ "$n" -ne 6 ]; then
        problems+="throttled upload: exit $rc, retries '$retries', injected $n; "
    else
        # The proxy's snapshot is moto's: read it back directly.
        problems+=$(cloud_readback "$log" "$dir" "$snap")
    fi
    cloud_stop "$PROXY_PID"
    # Three 500s (StartSnapshot's among them) are retried.
    cloud_proxy_start "$log" "$dir/error5xx.log" --error5xx 3
    AWS_ENDPOINT_URL=$PROXY_URL run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --json --quiet --name five-hundred
    retries=$(cloud_json "$RAW.out" retries)
    [ "$rc" -eq 0 ] && [ "${retries:-0}" -ge 3 ] || problems+="upload past three 500s: exit $rc, retries '$retries'; "
    cloud_stop "$PROXY_PID"
    # 500s without end: give up after PITH_AWS_RETRIES, one line with the service's message.
    cloud_proxy_start "$log" "$dir/error5xx_forever.log" --error5xx 1000
    AWS_ENDPOINT_URL=$PROXY_URL PITH_AWS_RETRIES=2 run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --quiet
    [ "$rc" -eq 1 ] && grep -q 'InternalServerException: We encountered an internal error) (after 2 retries)' "$RAW.err" ||
        problems+="endless 500s: exit $rc; "
    problems+=$(cloud_one_line "endless 500s")
    cloud_stop "$PROXY_PID"
    # Refused credentials: EBS (JSON) and EC2 (XML) both name the service's reason.
    cloud_proxy_start "$log" "$dir/badkey.log" --bad-key AKIDBAD
    AWS_ENDPOINT_URL=$PROXY_URL AWS_ACCESS_KEY_ID=AKIDBAD run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --quiet
    [ "$rc" -eq 1 ] && grep -q 'ebs refused the credentials (UnrecognizedClientException: The security token included in the request is invalid)' "$RAW.err" ||
        problems+="bad key, upload: exit $rc; "
    problems+=$(cloud_one_line "bad key, upload")
    AWS_ENDPOINT_URL=$PROXY_URL AWS_ACCESS_KEY_ID=AKIDBAD run_pith "$log" "$dir/tmp" instance ls --provider aws
    [ "$rc" -eq 1 ] && grep -q 'ec2 refused the credentials (AuthFailure: AWS was not able to validate' "$RAW.err" ||
        problems+="bad key, instance ls: exit $rc; "
    problems+=$(cloud_one_line "bad key, instance ls")
    cloud_stop "$PROXY_PID"
    # Replies cut short: one line, no crash.
    cloud_proxy_start "$log" "$dir/xml.log" --malformed xml
    AWS_ENDPOINT_URL=$PROXY_URL run_pith "$log" "$dir/tmp" instance ls --provider aws
    [ "$rc" -eq 1 ] && grep -q 'ec2 DescribeInstances: unreadable reply (malformed XML' "$RAW.err" ||
        problems+="malformed XML: exit $rc; "
    problems+=$(cloud_one_line "malformed XML")
    AWS_ENDPOINT_URL=$PROXY_URL run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --quiet --name halfxml
    [ "$rc" -eq 1 ] && grep -q 'ec2 RegisterImage: unreadable reply (malformed XML' "$RAW.err" ||
        problems+="malformed XML after the upload: exit $rc; "
    problems+=$(cloud_one_line "malformed XML after the upload")
    cloud_stop "$PROXY_PID"
    cloud_proxy_start "$log" "$dir/json.log" --malformed json
    AWS_ENDPOINT_URL=$PROXY_URL run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --quiet
    [ "$rc" -eq 1 ] && grep -q 'ebs StartSnapshot: unreadable reply' "$RAW.err" || problems+="malformed JSON: exit $rc; "
    problems+=$(cloud_one_line "malformed JSON")
    cloud_stop "$PROXY_PID"
    # No credentials, no region, a missing profile: exit 2, one line.
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY TMPDIR="$dir/tmp" "$PITH" image upload "$dir/app.img" \
        --provider aws > "$dir/x.out" 2> "$dir/x.err"; rc=$?; RAW=$dir/x
    [ "$rc" -eq 2 ] && grep -q '^pith: aws: no credentials' "$RAW.err" || problems+="no credentials: exit $rc; "
    problems+=$(cloud_one_line "no credentials")
    env -u AWS_REGION TMPDIR="$dir/tmp" "$PITH" image upload "$dir/app.img" --provider aws > "$dir/x.out" 2> "$dir/x.err"; rc=$?
    [ "$rc" -eq 2 ] && grep -q '^pith: aws: no region' "$RAW.err" || problems+="no region: exit $rc; "
    problems+=$(cloud_one_line "no region")
    AWS_PROFILE=nobody TMPDIR="$dir/tmp" "$PITH" instance ls --provider aws > "$dir/x.out" 2> "$dir/x.err"; rc=$?
    [ "$rc" -eq 2 ] && grep -q "profile 'nobody' (AWS_PROFILE) is in neither" "$RAW.err" || problems+="missing profile: exit $rc; "
    # A profile from the shared files (credentials, and the region from config).
    mkdir -p "$dir/home/.aws"
    printf '[ci]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s3cret\n' > "$dir/home/.aws/credentials"
    printf '[default]\nregion = us-west-2\n\n[profile ci]\nregion = eu-west-1\n' > "$dir/home/.aws/config"
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION AWS_PROFILE=ci TMPDIR="$dir/tmp" \
        "$PITH" image upload "$dir/app.img" --provider aws --json --quiet > "$dir/x.out" 2> "$dir/x.err"; rc=$?
    [ "$rc" -eq 0 ] && [ "$(cloud_json "$dir/x.out" region)" = eu-west-1 ] ||
        problems+="profile ci: exit $rc, $(head -c 200 "$dir/x.err"); "
    # Usage errors.
    run_pith "$log" "$dir/tmp" image upload "$dir/app.img"
    [ "$rc" -eq 2 ] && grep -q -- '--provider is required' "$RAW.err" || problems+="no --provider: exit $rc; "
    run_pith "$log" "$dir/tmp" image upload "$dir/app.img" --provider aws --regoin x
    [ "$rc" -eq 2 ] && grep -q -- "did you mean '--region'" "$RAW.err" || problems+="typo: exit $rc; "
    run_pith "$log" "$dir/tmp" image upload "$dir/nothing.img" --provider aws
    [ "$rc" -eq 2 ] && grep -q 'nothing.img: No such file' "$RAW.err" || problems+="missing image: exit $rc; "
    problems+=$(leftovers "$dir/tmp")
    cloud_stop "$MOTO_PID"
    [ -n "$problems" ] || rm -rf "$dir"
    finish $name "$problems"
}

if ! command -v moto_server > /dev/null; then
    for t in cloud_aws_upload cloud_aws_resume cloud_aws_faults; do
        SKIPS+=("$t|moto_server is not installed (pip install 'moto[server]'); the AWS upload tests need it")
    done
elif ! python3 -c 'import boto3' 2> /dev/null; then
    for t in cloud_aws_upload cloud_aws_resume cloud_aws_faults; do
        SKIPS+=("$t|python3 cannot import boto3 (it comes with moto) to read snapshots back")
    done
else
    add cloud_aws_upload cloud_aws_upload
    add cloud_aws_resume cloud_aws_resume
    add cloud_aws_faults cloud_aws_faults
fi
