// The JSON Schema of one usage threshold, the one definition behind both places a
// threshold comes from: metering-usage's "thresholds" parameter (an operator's, which may
// name an "account") and POST /v1/thresholds (a tenant's, whose account is the caller).
// Field meanings: plugins/metering-usage/README.md, "Thresholds".
#pragma once

namespace formation {

inline constexpr const char* kThresholdSchema = R"({
  "type": "object",
  "description": "kind percent is for resource cpu or memory only, with a limit of at most 100; give instance_id or account, not both",
  "additionalProperties": false,
  "required": ["name", "resource", "kind", "limit"],
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$",
             "description": "Names the threshold in its events."},
    "resource": {"enum": ["cpu", "memory", "storage", "network_egress", "network_ingress", "gpu"]},
    "kind": {"enum": ["absolute", "percent"],
             "description": "absolute: the metric's own unit per period (cpu_seconds, memory_gb, storage_gb, network_*_mb, gpu_seconds); percent: of the allocation (cpu and memory only)."},
    "limit": {"type": "number", "minimum": 0},
    "instance_id": {"type": "string", "pattern": "^[0-9a-z][0-9a-z-]{0,127}$",
                    "description": "Only this instance."},
    "account": {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$",
                "description": "All of this account's instances together."}
  },
  "not": {"required": ["instance_id", "account"]},
  "anyOf": [
    {"properties": {"kind": {"enum": ["absolute"]}}},
    {"properties": {"kind": {"enum": ["percent"]}, "resource": {"enum": ["cpu", "memory"]},
                    "limit": {"maximum": 100}}}
  ]
})";

}  // namespace formation
