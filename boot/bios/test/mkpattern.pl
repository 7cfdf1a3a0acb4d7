#!/usr/bin/perl
# mkpattern.pl BYTES: the test kernel's pattern, word i = i * 0x9e3779b1 + 0x12345678.
use strict; use warnings;
my $words = int(($ARGV[0] // die "usage: mkpattern.pl BYTES\n") / 4);
binmode STDOUT;
for (my $i = 0; $i < $words; $i++) {
    print pack("V", (($i * 0x9e3779b1) + 0x12345678) % 4294967296);
}
