# Kernel hardening (kernel/selftest.c, kernel/paging_audit.c, kernel/cpu.c),
# sourced by test/run-tests (uses its add, record, finish, run_pith,
# leftovers, BUILD, PITH, LOGS, SCRATCH). The kernel self-tests run with the
# hidden `pith run --selftest NAME` (the boot config's kernel options; no
# program can reach them), each must panic (exit 250) with the line that
# names the protection, and the backtrace must name the function that broke
# the rule:
#  harden_stack_smash     a function writes over its stack protector guard:
#                         __stack_chk_fail panics naming it
#  harden_stack_canary_threads  the guard is per thread (kernel/stack_guard.c):
#                         the boot stack made a thread and the idle thread
#                         each find their own, different guard in the per-CPU
#                         slot while they run (kernel/selftest_canary.c says
#                         so in one line, else panics saying what was wrong);
#                         then the first smashes its stack, and
#                         __stack_chk_fail panics naming it
#  harden_exec_user_page  the kernel calls into a user page: SMEP
#  harden_read_user_page  the kernel reads a user page outside usercopy: SMAP
#  harden_wx_mapping      a kernel page made writable and executable: the
#                         page-table audit names its range
#  harden_writable_text   a kernel text page made writable: the audit names it
#  harden_writable_text_alias  the same page's direct-map alias made writable
#  harden_umip            umip_insns.c: SGDT, SIDT, SLDT, STR and SMSW in
#                         ring 3 are each SIGSEGV (CR4.UMIP; skipped where
#                         the CPU has no UMIP)

# harden_selftest CASE: the panic line (an extended regex) and the function
# the backtrace must name, per case.
harden_selftest() {
    local case=$1 name=harden_$1 log=$LOGS/harden_$1.log tmp=$SCRATCH/harden_$1.tmp problems="" line frame
    case $case in
        stack_smash|stack_canary_threads) line="stack protector: the stack of smash_own_stack was smashed"; frame=smash_own_stack ;;
        exec_user_page) line="page fault \(vector 14\) at address 200000: SMEP: the kernel tried to run a user page$"; frame=selftest_run ;;
        read_user_page) line="page fault \(vector 14\) at address 200000: SMAP: the kernel touched the program's memory outside usercopy$"; frame=selftest_run ;;
        wx_mapping) line="page tables: W\+X mapping at ffffd[0-9a-f]{11}-ffffd[0-9a-f]{11}$"; frame=paging_audit ;;
        user_wx_mapping) line="page tables: W\+X mapping at 200000-201000$"; frame=paging_audit ;;
        writable_text) line="page tables: kernel text writable at ffffffff[0-9a-f]{8}-ffffffff[0-9a-f]{8}$"; frame=paging_audit ;;
        writable_text_alias) line="page tables: kernel text or rodata writable through the direct map at ffff8000[0-9a-f]{8}-ffff8000[0-9a-f]{8}$"; frame=paging_audit ;;
    esac
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" run --selftest "$case" "$BUILD/test/musl/hello"
    [ "$rc" -eq 250 ] || problems+="exit $rc, want 250 (a kernel panic); "
    if grep -q "nothing stopped it" "$RAW.out" "$RAW.err"; then
        case $(grep -h "nothing stopped it" "$RAW.out" "$RAW.err") in
            *"smep 0"*) [ "$case" = exec_user_page ] && { record "$name" skip "the CPU has no SMEP"; return; } ;;
        esac
        case $(grep -h "nothing stopped it" "$RAW.out" "$RAW.err") in
            *"smap 0"*) [ "$case" = read_user_page ] && { record "$name" skip "the CPU has no SMAP"; return; } ;;
        esac
    fi
    grep -Eq "^pith: kernel (panic: )?$line" "$RAW.out" "$RAW.err" || problems+="no panic line matching '$line'; "
    sed -n '/^  backtrace/,$p' "$RAW.out" "$RAW.err" | grep -Eq "^    ffffffff[0-9a-f]{8} $frame\+0x" ||
        problems+="the backtrace does not name $frame; "
    grep -q "hello, world" "$RAW.out" && problems+="the program ran; "
    [ "$case" != stack_canary_threads ] || grep -q "^selftest stack_canary_threads: 2 threads, 2 guards, each in the slot while its thread ran" "$RAW.out" ||
        problems+="no line saying the two threads had their own guards; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

harden_umip() {
    local name=harden_umip log=$LOGS/harden_umip.log tmp=$SCRATCH/harden_umip.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" run "$BUILD/test/musl/umip_insns"
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    if grep -q '^umip: no' "$RAW.out"; then record $name skip "the CPU (CPUID 7.0:ECX bit 2) has no UMIP"; return; fi
    for insn in sgdt sidt sldt str smsw; do
        grep -qx "$insn: SIGSEGV" "$RAW.out" || problems+="$insn: $(grep "^$insn:" "$RAW.out" || echo 'no line'), want SIGSEGV; "
    done
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

for case in stack_smash stack_canary_threads exec_user_page read_user_page wx_mapping user_wx_mapping writable_text writable_text_alias; do
    add "harden_$case" harden_selftest "$case"
done
add harden_umip harden_umip
