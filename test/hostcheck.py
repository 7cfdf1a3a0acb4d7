"""What the host-side drivers of guest tests share (test/net/packet_fuzz.py,
test/servers/load_host.py): the problems found so far, the memory check a
guest must pass after a storm, and the verdict that ends a run.

A driver imports it with its folder's parent on sys.path, calls check() as
it goes, and ends with `hostcheck.run(main)`, where main returns verdict()."""
import sys

problems = []


def check(cond, what):
    """Record and print a failed expectation; the run goes on."""
    if not cond:
        problems.append(what)
        print("host: FAIL " + what, flush=True)


def memory_back(free0, free1, after, detail=""):
    """The guest's free memory after `after` must be within 5% of free0:
    what a storm takes, its timeouts give back."""
    print("host: MemFree after %s %d kB%s, %+.2f%%" % (after, free1, detail, 100.0 * (free1 - free0) / free0),
          flush=True)
    check(abs(free1 - free0) <= 0.05 * free0,
          "MemFree %d kB at start, %d kB after %s (more than 5%% apart)" % (free0, free1, after))


def verdict():
    """Print the outcome; the exit status main returns."""
    if problems:
        print("host: %d problems: %s" % (len(problems), "; ".join(problems)))
        return 1
    print("host: all checks passed")
    return 0


def run(main):
    """Exit with main's status; an exception (a deadline passed, a
    connection failed) is a failure that says which."""
    try:
        sys.exit(main())
    except Exception as e:
        print("host: %s: %s" % (type(e).__name__, e))
        sys.exit(1)
