/* Which accelerator a run uses. /dev/kvm being there is not enough: on some
 * hosts (nested KVM, software hypervisors behind /dev/kvm, docs/hosts.md)
 * QEMU starts an empty guest under KVM and then fails on what a real kernel
 * does. So pith boots its own kernel once under KVM with a probe program
 * (cli/probe/accel_probe.c) and caches the verdict, with the CPU model that
 * worked, per host, QEMU binary and kernel build, under
 * ${XDG_CACHE_HOME:-~/.cache}/pith/. */
#pragma once
#include "qemu.h"

struct accel_choice {
    int kvm;                 /* 1: run under KVM with cpu_model */
    char cpu_model[96];      /* -cpu under KVM: "host" minus what this host cannot give */
    char why_not[240];       /* KVM present but unusable: what failed ("" otherwise) */
};

/* Decide for one run. `want` is --accel (or $PITH_ACCEL when --accel was not
 * given). auto: KVM if the probe says it works, else TCG, printing one line
 * when KVM is present but unusable. kvm: refused (one line, returns 2) when
 * the probe says it does not work. Returns 0 or 2. */
int accel_choose(enum accel_mode want, struct accel_choice *out);

/* `pith accel`: what auto picks here and why, one line; probes if needed. */
int accel_report(void);

/* Set in the environment of the probe's own `pith run`: the CPU model to use
 * under KVM, skipping the choice above. */
#define ACCEL_PROBE_CPU_ENV "PITH_KVM_CPU"
