"""Parses Prometheus text format from stdin with prometheus_client's own parser (the one
Prometheus's Python ecosystem uses) and prints what it understood as JSON, for
tests/it/metrics.rs. A line the parser rejects makes it raise, and this script exit non-zero."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    families[family.name] = {
        "documentation": family.documentation,
        "type": family.type,
        "samples": [
            {"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples
        ],
    }
json.dump(families, sys.stdout)
