#!/usr/bin/env python3
"""Validates the Kubernetes manifests offline (no cluster): core kinds with kubernetes-validate's
bundled schemas (--strict: unknown fields refused), Agones kinds with the documented schema
subsets in schemas/ (jsonschema) plus their pod template as a Pod, and cross-checks: a
FleetAutoscaler names an existing Fleet, minReplicas <= maxReplicas. Prints one line per
resource; exit status 1 on any problem. Usage: validate.py FILE... (default: every *.yaml here)."""
import glob, json, os, sys
import jsonschema, yaml
import kubernetes_validate

here = os.path.dirname(os.path.abspath(__file__))
version = kubernetes_validate.latest_version()
schemas = {("agones.dev/v1", "Fleet"): "fleet.schema.json",
           ("autoscaling.agones.dev/v1", "FleetAutoscaler"): "fleetautoscaler.schema.json"}
args = sys.argv[1:]
print_commands = "--print-commands" in args
args = [a for a in args if a != "--print-commands"]
files = args or sorted(glob.glob(os.path.join(here, "*.yaml")))
commands = []
problems, fleets, autoscalers = [], set(), []

def k8s(doc, where):
    try:
        kubernetes_validate.validate(doc, version, strict=True)
        return True
    except kubernetes_validate.ValidationError as e:
        problems.append(f"{where}: {e.message} at {'.'.join(map(str, e.path))}")
    except Exception as e:  # an unknown kind or version
        problems.append(f"{where}: {e}")
    return False

def containers(doc):
    """The containers of a workload or fleet (pod template, wherever it sits)."""
    spec = doc.get("spec") or {}
    tpl = (spec.get("template") or {})
    if doc.get("kind") == "Fleet":
        tpl = ((tpl.get("spec") or {}).get("template") or {})
    return ((tpl.get("spec") or {}).get("containers") or []) if isinstance(tpl, dict) else []

for path in files:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    for doc in docs:
        kind, api = doc.get("kind"), doc.get("apiVersion")
        name = (doc.get("metadata") or {}).get("name", "?")
        where = f"{os.path.basename(path)} {kind}/{name}"
        before = len(problems)
        for c in containers(doc):
            commands.append({"resource": where, "container": c.get("name"), "argv": list(c.get("command") or []) + list(c.get("args") or [])})
        if (api, kind) in schemas:
            with open(os.path.join(here, "schemas", schemas[(api, kind)])) as s:
                schema = json.load(s)
            for e in jsonschema.Draft7Validator(schema).iter_errors(doc):
                problems.append(f"{where}: {e.message} at {'.'.join(map(str, e.path))}")
            if kind == "Fleet":
                fleets.add(name)
                tpl = ((doc.get("spec") or {}).get("template") or {}).get("spec", {}).get("template")
                if tpl:
                    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": dict(tpl.get("metadata") or {}, name=name), "spec": tpl.get("spec")}
                    k8s(pod, where + " (pod template)")
            else:
                autoscalers.append((where, doc))
        else:
            k8s(doc, where)
        print(("ok    " if len(problems) == before else "FAIL  ") + where)

for where, doc in autoscalers:
    spec = doc.get("spec") or {}
    if spec.get("fleetName") not in fleets:
        problems.append(f"{where}: fleetName {spec.get('fleetName')!r} is not a Fleet in these files")
    b = (spec.get("policy") or {}).get("buffer") or {}
    if isinstance(b.get("minReplicas"), int) and isinstance(b.get("maxReplicas"), int) and b["minReplicas"] > b["maxReplicas"]:
        problems.append(f"{where}: minReplicas > maxReplicas")

for p in problems:
    print("problem: " + p)
if print_commands:
    print("commands: " + json.dumps(commands))
sys.exit(1 if problems else 0)
