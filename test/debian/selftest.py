# Run by Debian's python3.11 inside Pith: exercises C extension modules (each
# a shared library the loader maps) and checks every answer itself. Prints
# one line per failure and "selftest: N checks ok" at the end; exit 1 on failure.
import decimal
import hashlib
import json
import re
import sqlite3
import sys
import zlib

failures = []
checks = 0


def check(what, got, want):
    global checks
    checks += 1
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")


doc = {"name": "pith", "sizes": [1, 2, 3], "nested": {"ok": True, "none": None}, "pi": 3.25}
text = json.dumps(doc, sort_keys=True)
check("json.dumps", text,
      '{"name": "pith", "nested": {"none": null, "ok": true}, "pi": 3.25, "sizes": [1, 2, 3]}')
check("json round trip", json.loads(text), doc)

check("sha256", hashlib.sha256(b"abc").hexdigest(),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
check("md5", hashlib.md5(b"").hexdigest(), "d41d8cd98f00b204e9800998ecf8427e")
check("sha1 via openssl", hashlib.new("sha1", b"abc").hexdigest(),
      "a9993e364706816aba3e25717850c26c9cd0d89d")
check("blake2b", len(hashlib.blake2b(b"x", digest_size=16).digest()), 16)

m = re.fullmatch(r"(\w+)-(\d+)\.(\d+)", "python-3.11")
check("re groups", m.groups() if m else None, ("python", "3", "11"))
check("re sub", re.sub(r"\s+", " ", "a  b\t\nc"), "a b c")
check("re findall", re.findall(r"[aeiou]", "unikernel"), ["u", "i", "e", "e"])

blob = b"pith " * 1000
packed = zlib.compress(blob, 9)
check("zlib ratio", len(packed) < 100, True)
check("zlib round trip", zlib.decompress(packed), blob)
check("crc32", zlib.crc32(b"hello"), 0x3610A686)

db = sqlite3.connect(":memory:")
db.execute("create table t (k text primary key, v integer)")
db.executemany("insert into t values (?, ?)", [("a", 1), ("b", 20), ("c", 300)])
check("sqlite sum", db.execute("select sum(v) from t").fetchone()[0], 321)
check("sqlite order", [r[0] for r in db.execute("select k from t order by v desc")], ["c", "b", "a"])
check("sqlite version", sqlite3.sqlite_version_info >= (3, 0, 0), True)
db.close()

decimal.getcontext().prec = 30
check("decimal add", decimal.Decimal("0.1") + decimal.Decimal("0.2"), decimal.Decimal("0.3"))
check("decimal div", str(decimal.Decimal(1) / decimal.Decimal(7)), "0.142857142857142857142857142857")
check("decimal C module", decimal.__name__ == "decimal" and hasattr(decimal, "__libmpdec_version__"), True)

for line in failures:
    print("selftest FAIL", line)
if failures:
    sys.exit(1)
print(f"selftest: {checks} checks ok")
