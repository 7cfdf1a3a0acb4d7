# The pith command's own manners, sourced by test/run-tests (uses its add,
# record, finish, run_pith, BUILD, PITH, LOGS, SCRATCH). Nothing here boots
# a guest.
#  cli_version       `pith --version` and `pith version`: the same one line `pith VERSION`.
#  cli_help_alias    `pith help` is `pith --help`; `pith help CMD` is `pith CMD --help`.
#  cli_typo_*        a mistyped option or command gets "did you mean" with the
#                    right word: one line on stderr, nothing on stdout, exit 2.
#  cli_unrelated_*   a word close to nothing gets no suggestion, but the help hint.
#  cli_bad_value_*   a bad --timeout or --machine value is named in the message.
# More bad input (exit 2, one line, nothing left) is in test/bad/cases.

# usability_run NAME ARGS...: run pith into $SCRATCH/NAME.{out,err}; sets $rc.
usability_run() {
    local name=$1; shift
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp
    mkdir -p "$tmp"
    run_pith "$log" "$tmp" "$@"
}

cli_version() {
    local name=cli_version log=$LOGS/cli_version.log problems=""
    : > "$log"
    usability_run $name --version
    [ "$rc" -eq 0 ] || problems+="--version: exit $rc; "
    [ -s "$RAW.err" ] && problems+="--version wrote on stderr; "
    [ "$(wc -l < "$RAW.out")" -eq 1 ] || problems+="--version: not one line; "
    grep -qE '^pith [^ ]+$' "$RAW.out" || problems+="--version: '$(head -c 80 "$RAW.out")' is not 'pith VERSION'; "
    cp "$RAW.out" "$SCRATCH/$name.dashes"
    usability_run $name version
    [ "$rc" -eq 0 ] || problems+="version: exit $rc; "
    cmp -s "$RAW.out" "$SCRATCH/$name.dashes" || problems+="'pith version' and 'pith --version' differ; "
    usability_run $name version extra
    [ "$rc" -eq 2 ] || problems+="'version extra': exit $rc, expected 2; "
    finish $name "$problems"
}

cli_help_alias() {
    local name=cli_help_alias log=$LOGS/cli_help_alias.log problems="" cmd
    : > "$log"
    for cmd in "" run build ldd image volume; do
        usability_run $name $cmd --help
        [ "$rc" -eq 0 ] && [ -s "$RAW.out" ] || problems+="'pith $cmd --help': exit $rc or no text; "
        cp "$RAW.out" "$SCRATCH/$name.want"
        usability_run $name help $cmd
        [ "$rc" -eq 0 ] || problems+="'pith help $cmd': exit $rc; "
        cmp -s "$RAW.out" "$SCRATCH/$name.want" || problems+="'pith help $cmd' differs from 'pith $cmd --help'; "
    done
    usability_run $name run --help
    grep -q -- '--timeout DURATION' "$RAW.out" || problems+="run --help does not list --timeout; "
    grep -q -- '--machine auto|microvm|q35' "$RAW.out" || problems+="run --help does not list --machine; "
    grep -qF 'KVM where a probe boot shows it runs Pith on this host, else TCG' "$RAW.out" ||
        problems+="run --help: old --accel text; "
    finish $name "$problems"
}

# usability_one_line WANT: exit 2, nothing on stdout, stderr exactly WANT.
usability_one_line() {
    local want=$1
    [ "$rc" -eq 2 ] || printf "exit %s, expected 2; " "$rc"
    [ -s "$RAW.out" ] && printf "output on stdout; "
    [ "$(cat "$RAW.err")" = "$want" ] || printf "%s" "stderr '$(head -c 200 "$RAW.err" | tr '\n' '|')', expected '$want'; "
}

# cli_typo NAME KIND TYPED MEANT ARGS...: refused with exactly
# "pith: unknown KIND 'TYPED' (did you mean 'MEANT'?)" (test/run-tests
# evals the command, so the line is assembled here, not passed in).
cli_typo() {
    local name=$1 kind=$2 typed=$3 meant=$4; shift 4
    : > "$LOGS/$name.log"
    usability_run "$name" "$@"
    finish "$name" "$(usability_one_line "pith: unknown $kind '$typed' (did you mean '$meant'?)")"
}

# cli_unrelated NAME ARGS...: refused without a suggestion, with the help hint.
cli_unrelated() {
    local name=$1; shift
    local problems=""
    : > "$LOGS/$name.log"
    usability_run "$name" "$@"
    [ "$rc" -eq 2 ] || problems+="exit $rc, expected 2; "
    [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="not one line on stderr; "
    grep -q 'did you mean' "$RAW.err" && problems+="suggested: $(cat "$RAW.err"); "
    grep -qF -- "--help')" "$RAW.err" || problems+="no help hint; "
    finish "$name" "$problems"
}

# cli_bad_value NAME VALUE ARGS...: refused, and the message names VALUE.
cli_bad_value() {
    local name=$1 value=$2; shift 2
    local problems=""
    : > "$LOGS/$name.log"
    usability_run "$name" "$@"
    [ "$rc" -eq 2 ] || problems+="exit $rc, expected 2; "
    grep -qF -- "'$value'" "$RAW.err" || problems+="the message does not name '$value': $(head -c 200 "$RAW.err"); "
    [ -s "$RAW.out" ] && problems+="output on stdout; "
    finish "$name" "$problems"
}

USABILITY_PROG=$BUILD/test/musl/hello
add cli_version cli_version
add cli_help_alias cli_help_alias
add cli_typo_run_option cli_typo cli_typo_run_option option --tiemout --timeout run --tiemout 5s "$USABILITY_PROG"
add cli_typo_run_option_value cli_typo cli_typo_run_option_value option --machien=q35 --machine \
    run --machien=q35 "$USABILITY_PROG"
add cli_typo_build_option cli_typo cli_typo_build_option option --sysrot --sysroot \
    build -o "$SCRATCH/cli_typo.img" --sysrot / "$USABILITY_PROG"
add cli_typo_command cli_typo cli_typo_command command rnu run rnu "$USABILITY_PROG"
add cli_typo_help_command cli_typo cli_typo_help_command command biuld build help biuld
add cli_typo_top_option cli_typo cli_typo_top_option option --verison --version --verison
add cli_unrelated_option cli_unrelated cli_unrelated_option run --frobnicate "$USABILITY_PROG"
add cli_unrelated_build_option cli_unrelated cli_unrelated_build_option build -o "$SCRATCH/cli_unrelated.img" --gdb "$USABILITY_PROG"
add cli_unrelated_command cli_unrelated cli_unrelated_command frobnicate
add cli_bad_value_timeout cli_bad_value cli_bad_value_timeout xyz run --timeout xyz "$USABILITY_PROG"
add cli_bad_value_timeout_unit cli_bad_value cli_bad_value_timeout_unit 5x run --timeout=5x "$USABILITY_PROG"
add cli_bad_value_machine cli_bad_value cli_bad_value_machine vax run --machine vax "$USABILITY_PROG"
