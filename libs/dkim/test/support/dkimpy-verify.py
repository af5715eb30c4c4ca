"""Verifies every DKIM-Signature of each message with dkimpy (Debian's python3-dkim), DNS answered
from the records given. Reads {"records": {name: txt}, "messages": [path, ...]} as JSON on stdin,
writes [[true|false per signature, top first] per message] (['unparsed: ...'] for a
message dkimpy refuses to read) as JSON. Run with /usr/bin/python3."""
import json
import sys

import dkim

request = json.load(sys.stdin)
records = {name.encode(): txt.encode() for name, txt in request['records'].items()}


def dnsfunc(name, timeout=5):
    return records.get(name.rstrip(b'.'))


results = []
for path in request['messages']:
    with open(path, 'rb') as f:
        message = f.read()
    try:
        d = dkim.DKIM(message)
    except dkim.MessageFormatError as error:
        results.append(['unparsed: %s' % error])
        continue
    count = sum(1 for name, _ in d.headers if name.lower() == b'dkim-signature')
    outcome = []
    for idx in range(count):
        try:
            outcome.append(bool(d.verify(idx=idx, dnsfunc=dnsfunc)))
        except dkim.DKIMException as error:
            outcome.append('error: %s' % error)
    results.append(outcome)
json.dump(results, sys.stdout)
