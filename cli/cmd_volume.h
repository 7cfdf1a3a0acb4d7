/* `pith volume create PATH SIZE` (docs/cli.md, "Volumes"). */
#pragma once

/* argv[0] is "volume". Returns the exit status. */
int volume_main(int argc, char **argv);
