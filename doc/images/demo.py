import json, re, hashlib
data = [{"id": i, "name": "item%d" % i, "tags": ["a", "b", str(i)]} for i in range(20000)]
for _ in range(15):
    s = json.dumps(data)
    d = json.loads(s)
    re.findall(r"item\d+7", s)
    hashlib.sha256(s.encode()).hexdigest()
    sorted(d, key=lambda x: x["name"])
