"""Parses a /metrics exposition with the reference Python client's strict parser (Debian's python3-prometheus-client)
and checks every `le` label is the canonical number the client itself writes (floatToGoString).
Usage: python3 check_exposition.py openmetrics|text FILE   -> prints "ok N samples, E exemplars" or raises."""
import sys
from prometheus_client.utils import floatToGoString

fmt, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    text = f.read()
if fmt == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
samples = 0
exemplars = 0
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        samples += 1
        if getattr(sample, "exemplar", None) is not None:
            exemplars += 1
        le = sample.labels.get("le")
        if fmt == "openmetrics" and le is not None and le != floatToGoString(float(le)):
            raise ValueError(f"{sample.name}: le={le!r} is not canonical ({floatToGoString(float(le))!r})")
print(f"ok {samples} samples, {exemplars} exemplars")
