"""Writes DaCHS's userconfig.rd: the stock one shipped with the package, with
the STREAMs defined in userconfig-streams.rd put in place of the same-named
ones.  Usage: patch-userconfig.py STOCK STREAMS OUT"""
import re
import sys

stock_path, streams_path, out_path = sys.argv[1:4]
stock = open(stock_path, encoding="utf-8").read()
streams = open(streams_path, encoding="utf-8").read()

STREAM = re.compile(r'<STREAM id="([^"]+)">.*?</STREAM>', re.S)
replacements = {m.group(1): m.group(0) for m in STREAM.finditer(streams)}
done = set()


def swap(m):
    if m.group(1) in replacements:
        done.add(m.group(1))
        return replacements[m.group(1)]
    return m.group(0)


result = STREAM.sub(swap, stock)
missing = set(replacements) - done
if missing:
    sys.exit(f"patch-userconfig: no STREAM {sorted(missing)} in {stock_path}")
open(out_path, "w", encoding="utf-8").write(result)
print(f"patch-userconfig: replaced {sorted(done)}")
