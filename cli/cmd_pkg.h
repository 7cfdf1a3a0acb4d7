/* `pith pkg get|ls|path|rm|clean` (cli/pkg.h has what they manage). */
#pragma once

int pkg_main(int argc, char **argv);
