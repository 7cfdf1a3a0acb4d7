/* cli/suggest.c: the edit distance (swaps count once) and which mistyped
 * words get a "did you mean" and which do not. */
#include <string.h>

#include "cli/suggest.h"

#include "check.h"

static const char *const run_options[] = { "--trace", "--timeout", "--machine", "--mount", "--image", "-m",
                                           "-e", "--boot", "--cpus", "--keep-image" };
static const char *const commands[] = { "run", "build", "ldd", "image", "volume", "help", "version" };
#define N(a) (sizeof a / sizeof a[0])

static int suggests(const char *word, const char *const *list, size_t n, const char *want)
{
    const char *got = suggest_closest(word, list, n);
    if (!want)
        return got == NULL;
    return got && strcmp(got, want) == 0;
}

int main(void)
{
    CHECK_THAT(suggest_distance("", "") == 0);
    CHECK_THAT(suggest_distance("run", "run") == 0);
    CHECK_THAT(suggest_distance("", "abc") == 3);
    CHECK_THAT(suggest_distance("abc", "") == 3);
    CHECK_THAT(suggest_distance("rnu", "run") == 1);          /* a swap */
    CHECK_THAT(suggest_distance("tiemout", "timeout") == 1);
    CHECK_THAT(suggest_distance("timout", "timeout") == 1);   /* a deletion */
    CHECK_THAT(suggest_distance("timeeout", "timeout") == 1); /* an insertion */
    CHECK_THAT(suggest_distance("tymeout", "timeout") == 1);  /* a replacement */
    CHECK_THAT(suggest_distance("kitten", "sitting") == 3);
    CHECK_THAT(suggest_distance("ab", "ba") == 1);
    CHECK_THAT(suggest_distance("ca", "abc") == 3);           /* a swapped pair is not edited again */
    char longword[SUGGEST_MAX_LEN + 2];
    memset(longword, 'a', sizeof longword - 1);
    longword[sizeof longword - 1] = '\0';
    CHECK_THAT(suggest_distance(longword, "a") == (size_t)-1);

    CHECK_THAT(suggests("--tiemout", run_options, N(run_options), "--timeout"));
    CHECK_THAT(suggests("--machien", run_options, N(run_options), "--machine"));
    CHECK_THAT(suggests("-timeout", run_options, N(run_options), "--timeout"));
    CHECK_THAT(suggests("--trce", run_options, N(run_options), "--trace"));
    CHECK_THAT(suggests("--keepimage", run_options, N(run_options), "--keep-image"));
    CHECK_THAT(suggests("--m", run_options, N(run_options), "-m"));
    CHECK_THAT(suggests("--bogus", run_options, N(run_options), NULL));
    CHECK_THAT(suggests("--frobnicate", run_options, N(run_options), NULL));
    CHECK_THAT(suggests("-x", run_options, N(run_options), NULL));   /* one letter: any other is as close */
    CHECK_THAT(suggests("--", run_options, N(run_options), NULL));
    CHECK_THAT(suggests("rnu", commands, N(commands), "run"));
    CHECK_THAT(suggests("biuld", commands, N(commands), "build"));
    CHECK_THAT(suggests("imgae", commands, N(commands), "image"));
    CHECK_THAT(suggests("versoin", commands, N(commands), "version"));
    CHECK_THAT(suggests("frobnicate", commands, N(commands), NULL));
    CHECK_THAT(suggests("xyz", commands, N(commands), NULL));
    CHECK_THAT(suggests("r", commands, N(commands), NULL));
    CHECK_THAT(suggests(longword, commands, N(commands), NULL));
    return check_report("test_suggest");
}
