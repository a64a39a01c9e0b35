#!/usr/bin/env python3
"""Evaluates what Terraform hands the Coder agent, with Terraform itself.

    eval-template.py CODER_DIR OUT_DIR VALIDATE_DIR VALIDATE_CACHE [NAME=VALUE ...]   (Terraform variables)

Runs `terraform console` in a copy of a template folder that calls the Convex
module (`module "NAME" { source = "<path>/modules/convex" ... }`, with or
without `count`: the first instance is read) with the schema-only stub
providers of ../shared/validate (dev_overrides; `terraform get` installs the
local module, nothing is downloaded; registry.coder.com modules are replaced
by the stand-ins of tests/tf-standins) and writes into OUT_DIR, for each
coder_script of the module (dockerd, convex_start, convex_stop): <name>.sh
(the `script` argument exactly as Terraform renders it) and <name>.timeout
(its `timeout`); and env.json (the coder_env values). The module's
coder_scripts must take their text from `local.scripts.<name>` and its
coder_env from `local.workspace_env`, which its `scripts` and `env` outputs
return; this is checked, so the outputs cannot drift from what the agent gets.
With E2E_MODULE=NAME, that module call is read (else the only one whose
source ends in modules/convex).

Data sources have no values without a Coder server ("known after apply"), so
the made-up owner, workspace and access URL below are put in their place in
the copy. Nothing else of the template is changed.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

MADE_UP = {
    # data source attribute -> HCL literal
    "data.coder_workspace_owner.me.name": '"Alice"',
    "data.coder_workspace_owner.me.id": '"0b6c8a35-0000-4000-8000-0000000000a1"',
    "data.coder_workspace.me.name": '"Dev1"',
    "data.coder_workspace.me.id": '"5d2f1e4b-0000-4000-8000-0000000000d1"',
    "data.coder_workspace.me.access_url": '"https://coder.example.test"',
    "data.coder_workspace.me.access_port": "443",
    "data.coder_workspace.me.start_count": "1",
}


def main():
    coder_dir, out_dir, validate_dir, validate_cache = sys.argv[1:5]
    tf_vars = sys.argv[5:]
    git_url = os.environ.get("E2E_GIT_URL", "")
    work = tempfile.mkdtemp(prefix="tf-eval.")
    try:
        tf = os.path.join(work, "tf")
        shutil.copytree(coder_dir, tf, ignore=shutil.ignore_patterns(".terraform"))
        # registry.coder.com modules (code-server, jetbrains) cannot be
        # fetched here: the copy calls the stand-ins of tests/tf-standins.
        standins = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tf-standins", "use")
        subprocess.run(["bash", standins, tf], check=True)
        for root, dirs, files in os.walk(tf):
            for name in files:
                if not name.endswith(".tf"):
                    continue
                path = os.path.join(root, name)
                text = open(path).read()
                for expr, value in MADE_UP.items():
                    text = re.sub(re.escape(expr) + r"\b", value, text)
                text = text.replace("data.coder_parameter.git_url.value", json.dumps(git_url))
                # The workspace's start_frontend parameter: off (its default).
                text = text.replace("data.coder_parameter.start_frontend.value", "false")
                open(path, "w").write(text)

        # The module call (root folder) and the module's own main.tf.
        calls = []
        for name in sorted(os.listdir(tf)):
            if not name.endswith(".tf"):
                continue
            for m in re.finditer(r'^module "([^"]+)" \{(.*?)\n\}', open(os.path.join(tf, name)).read(), re.S | re.M):
                src = re.search(r'^\s*source\s*=\s*"([^"]+)"', m.group(2), re.M)
                if src and src.group(1).rstrip("/").endswith("modules/convex"):
                    calls.append((m.group(1), src.group(1), re.search(r"^\s*count\s*=", m.group(2), re.M) is not None))
        wanted = os.environ.get("E2E_MODULE")
        if wanted:
            calls = [c for c in calls if c[0] == wanted]
        if len(calls) != 1:
            sys.exit(f"expected one call of the Convex module (source .../modules/convex), found {[c[0] for c in calls]}")
        mod_name, mod_source, has_count = calls[0]
        ref = f"module.{mod_name}[0]" if has_count else f"module.{mod_name}"
        module_tf = open(os.path.join(tf, mod_source, "main.tf")).read()
        scripts = {}
        for name in ("dockerd", "convex_start", "convex_stop"):
            block = re.search(
                r'resource "coder_script" "%s" \{(.*?)\n\}' % name, module_tf, re.S
            )
            if not block:
                sys.exit(f"no coder_script.{name} in the module's main.tf")
            body = block.group(1)
            script = re.search(r"^\s*script\s*=\s*(.+)$", body, re.M).group(1).strip()
            if script != f"local.scripts.{name}":
                sys.exit(f"coder_script.{name} runs {script}, not local.scripts.{name} (the scripts output)")
            timeout = re.search(r"^\s*timeout\s*=\s*(\d+)\s*$", body, re.M).group(1)
            scripts[name] = (f"{ref}.scripts.{name}", timeout)
        if not re.search(r'resource "coder_env" "workspace" \{\n  for_each = local\.workspace_env\n', module_tf):
            sys.exit("the module's coder_env is not for_each = local.workspace_env (the env output)")
        if not re.search(r'output "env" \{[^}]*value\s*=\s*local\.workspace_env\n', module_tf):
            sys.exit("the module's env output is not local.workspace_env")
        if not re.search(r'output "scripts" \{[^}]*value\s*=\s*local\.scripts\n', module_tf):
            sys.exit("the module's scripts output is not local.scripts")

        providers = os.path.join(work, "p")
        overrides = []
        for p, source in (
            ("coder", "coder/coder"),
            ("docker", "kreuzwerker/docker"),
            ("kubernetes", "hashicorp/kubernetes"),
        ):
            os.makedirs(os.path.join(providers, p))
            os.symlink(
                os.path.join(validate_cache, "providers", f"terraform-provider-{p}"),
                os.path.join(providers, p, f"terraform-provider-{p}"),
            )
            overrides.append(f'    "{source}" = "{os.path.join(providers, p)}"')
        tfrc = os.path.join(work, "tfrc")
        open(tfrc, "w").write(
            "provider_installation {\n  dev_overrides {\n"
            + "\n".join(overrides)
            + "\n  }\n  direct {}\n}\n"
        )
        schemas = os.path.join(validate_dir, "schemas")
        docker_schema = "terraform-provider-docker-v4.5.0.json"
        main_tf = os.path.join(tf, "main.tf")
        if os.path.exists(main_tf) and re.search(r'version\s*=\s*"[~>= ]*3\.', open(main_tf).read()):
            docker_schema = "terraform-provider-docker-v3.9.0.json"
        env = dict(
            os.environ,
            TF_CLI_CONFIG_FILE=tfrc,
            CHECKPOINT_DISABLE="1",
            STUB_SCHEMA_CODER=os.path.join(schemas, "terraform-provider-coder-v2.17.0.json"),
            STUB_SCHEMA_DOCKER=os.path.join(schemas, docker_schema),
            STUB_SCHEMA_KUBERNETES=os.path.join(schemas, "terraform-provider-kubernetes-v3.2.1.json"),
        )
        # One expression (the console prints only the value of its last
        # input); base64 keeps its HCL quoting ($${, %%{) out of the way.
        get = subprocess.run(
            ["terraform", "get", "-no-color"], cwd=tf, env=env,
            capture_output=True, text=True, timeout=120,
        )
        if get.returncode != 0:
            sys.exit(f"terraform get failed ({get.returncode}):\n{get.stdout}\n{get.stderr}")
        items = [scripts[n][0] for n in scripts] + [f"{ref}.env"]
        expr = "base64encode(jsonencode([%s]))" % ", ".join(items)
        args = ["terraform", "console", "-no-color"]
        for v in tf_vars:
            args += ["-var", v]
        res = subprocess.run(
            args, cwd=tf, env=env, input=expr + "\n",
            capture_output=True, text=True, timeout=120,
        )
        out = res.stdout.strip()
        if res.returncode != 0 or not (out.startswith('"') and out.endswith('"')):
            sys.exit(f"terraform console failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
        values = json.loads(base64.b64decode(out[1:-1]))
        decoded = [v.encode() for v in values[:-1]] + [json.dumps(values[-1], indent=1).encode()]
        os.makedirs(out_dir, exist_ok=True)
        for (name, (_, timeout)), data in zip(scripts.items(), decoded):
            open(os.path.join(out_dir, f"{name}.sh"), "wb").write(data)
            open(os.path.join(out_dir, f"{name}.timeout"), "w").write(timeout + "\n")
        open(os.path.join(out_dir, "env.json"), "wb").write(decoded[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
