#!/usr/bin/env python3
"""Times didChange -> publishDiagnostics against a real `shardplan lsp` process over stdio.

usage: N=300 python3 stdio_latency.py WORKSPACE FILE.plan COMMAND...
e.g.   N=300 python3 lsp/bench/stdio_latency.py plans qwen32b.plan ./shardplan lsp
Each change toggles the first `dp 8` of FILE to `dp 4` and back; the medians are over the second
half of the N changes (the first half warms the JIT). Prints the figures docs/benchmarks.md records.
"""
import json, subprocess, sys, time, os
root = os.path.abspath(sys.argv[1]); plan = os.path.join(root, sys.argv[2]); cmd = sys.argv[3:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
def send(m):
    b = json.dumps(m).encode(); p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b); p.stdin.flush()
def recv():
    h = {}
    while True:
        line = p.stdout.readline()
        if line in (b"\r\n", b""): break
        k, v = line.decode().split(":", 1); h[k.strip().lower()] = v.strip()
    if not h: return None
    return json.loads(p.stdout.read(int(h["content-length"])))
def until(pred):
    while True:
        m = recv()
        if m is None: return None
        if pred(m): return m
t0 = time.time()
send({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":None,"rootUri":"file://"+root,"capabilities":{}}})
init = until(lambda m: m.get("id")==1); print("initialize", round(time.time()-t0,2), "s", init["result"]["serverInfo"])
send({"jsonrpc":"2.0","method":"initialized","params":{}})
uri = "file://"+plan; text = open(plan).read()
t1=time.time()
send({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":uri,"languageId":"shardplan","version":1,"text":text}}})
d = until(lambda m: m.get("method")=="textDocument/publishDiagnostics"); print("first diagnostics", round(time.time()-t1,2), "s:", [x["code"] for x in d["params"]["diagnostics"]])
lat=[]
N=int(os.environ.get("N","30"))
for v in range(2, 2+N):
    t = text.replace("dp 8", "dp %d" % (8 if v % 2 else 4), 1)
    t2=time.time()
    send({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":uri,"version":v},"contentChanges":[{"text":t}]}})
    d = until(lambda m: m.get("method")=="textDocument/publishDiagnostics" and m["params"].get("version")==v)
    lat.append((time.time()-t2)*1000)
lat=lat[len(lat)//2:]
lat.sort(); print("didChange->diagnostics ms: median %.1f min %.1f max %.1f (n=%d)" % (lat[len(lat)//2], lat[0], lat[-1], len(lat)))
send({"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":uri},"position":{"line":7,"character":7}}})
h = until(lambda m: m.get("id")==2); print("hover:", h["result"]["contents"]["value"][:120].replace("\n"," "))
send({"jsonrpc":"2.0","id":3,"method":"shutdown"}); until(lambda m: m.get("id")==3)
send({"jsonrpc":"2.0","method":"exit"})
print("exit status", p.wait(timeout=10)); err = p.stderr.read().decode()
print("stderr:", err[:500])
