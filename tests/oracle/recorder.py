#!/usr/bin/env python3
"""Record the oracle cases (tests/oracle/cases/*.txt) against a real Docker daemon.

Writes tests/oracle/fixtures/<group>.json: the environment once per file, then per case
every command with where it ran, its exit code and its exact stdout and stderr (raw,
unmasked), the IDs and names Docker handed out (so a comparison can mask them), the
host-side veth names, and the end-of-case state (containers, networks) read from the
daemon's API. tests/oracle/README.md documents the case format and the fixture format.

Run it through record.sh (which starts the daemon with the shared docker-oracle set-up
and tears it down afterwards). Standard library only; needs root.
"""
import argparse
import datetime
import http.client
import ipaddress
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.environ.get("ORACLE_TOOLS", os.path.join(os.path.dirname(REPO), "shared", "tools", "docker-oracle"))
CASES_DIR = os.path.join(HERE, "cases")
FIXTURES_DIR = os.path.join(HERE, "fixtures")
STATE = "/run/docker-oracle"
BIN_DIR = os.path.join(STATE, "orc-bin")
LOG = os.path.join(STATE, "recorder.log")
DOCKER_CLI = os.environ.get("ORACLE_DOCKER_CLI", "/usr/bin/docker")
DOCKER_SOCK = "/var/run/docker.sock"
FORMAT_VERSION = 1
STEP_TIMEOUT = 20.0

# The fixed "outside host": a namespace behind a veth (README, "The outside host").
OUTSIDE_NS = "orc-out"
OUTSIDE_HOST_IF = "orc-out0"
OUTSIDE_HOST_ADDR = "198.18.0.254/24"
OUTSIDE_NS_IF = "eth0"
OUTSIDE_NS_ADDR = "198.18.0.1/24"
OUTSIDE_ROUTES = ["172.16.0.0/12", "192.168.0.0/16", "10.99.0.0/16"]
OUTSIDE_HTTP = "198.18.0.1:8080"
OUTSIDE_WWW = os.path.join(STATE, "orc-out", "www")
GUARD_COMMENT = "docker-oracle-egress-guard"

# Commands that send traffic; their destinations are checked before they run.
PROBES = {"ping", "ping6", "wget", "nc", "curl", "nslookup", "tftp", "telnet",
          "traceroute", "traceroute6", "arping", "ftpget", "ftpput", "rdate", "ntpd"}
# Host and outside commands come from busybox, like the containers' (README).
BUSYBOX_APPLETS = ["wget", "nc", "ping", "nslookup", "tftp", "telnet", "traceroute", "arping"]
# Every IPv4 literal in a case must lie in one of these (README, "Safety").
ALLOWED_NETS = [ipaddress.ip_network(n) for n in (
    "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15", "127.0.0.0/8", "10.99.0.0/16",
    "0.0.0.0/32")]
IPV4_LITERAL = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?(?![\w.])")


def log(msg):
    with open(LOG, "a") as f:
        f.write(msg + "\n")


def say(msg):
    print(msg, file=sys.stderr, flush=True)
    log(msg)


# ---------------------------------------------------------------- case files

class CaseError(Exception):
    pass


def parse_case_file(path):
    """A case file: `# case: <group>/<name>` starts a case; `# note: ...` lines are kept;
    `@outside ` runs a line in the outside namespace; other `#` lines are comments."""
    group = os.path.splitext(os.path.basename(path))[0]
    cases, case = [], None
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            text = line.strip()
            if not text:
                continue
            if text.startswith("#"):
                body = text[1:].strip()
                if body.startswith("case:"):
                    cid = body[len("case:"):].strip()
                    if not cid.startswith(group + "/") or not re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+", cid):
                        raise CaseError(f"{path}:{lineno}: case id {cid!r} must be {group}/<lowercase-name>")
                    case = {"id": cid, "line": lineno, "notes": [], "steps": []}
                    cases.append(case)
                elif body.startswith("note:") and case is not None:
                    case["notes"].append(body[len("note:"):].strip())
                continue
            if case is None:
                raise CaseError(f"{path}:{lineno}: command outside a case")
            where, cmd = "host", text
            if text.startswith("@"):
                prefix, _, cmd = text.partition(" ")
                where = prefix[1:]
                if where not in ("host", "outside"):
                    raise CaseError(f"{path}:{lineno}: unknown prefix {prefix}")
                cmd = cmd.strip()
            try:
                argv = shlex.split(cmd)
            except ValueError as e:
                raise CaseError(f"{path}:{lineno}: {e}")
            if not argv:
                raise CaseError(f"{path}:{lineno}: empty command")
            static_safety_check(argv, f"{path}:{lineno}")
            if argv[0] in PROBES:
                literal_destinations_only(argv, f"{path}:{lineno}")
            case["steps"].append({"line": cmd, "where": where, "argv": argv, "lineno": lineno})
    ids = [c["id"] for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise CaseError(f"{path}: duplicate case ids {sorted(dup)}")
    return group, cases


# ---------------------------------------------------------------- safety

def static_safety_check(argv, where):
    """Every IPv4 literal must be in ALLOWED_NETS; no IPv6 literals other than ::1 in a
    probe; no host names given to a probe that runs on the host or in the outside
    namespace (they would go to the machine's real resolver)."""
    for arg in argv:
        for m in IPV4_LITERAL.finditer(arg):
            try:
                addr = ipaddress.ip_address(m.group(1))
            except ValueError:
                continue
            plen = int((m.group(2) or "/32")[1:])
            net = ipaddress.ip_network(f"{addr}/{min(plen, 32)}", strict=False)
            if not any(net.subnet_of(a) for a in ALLOWED_NETS if net.version == a.version) \
                    and not (str(addr) == "0.0.0.0"):
                raise CaseError(f"{where}: address {m.group(0)} is outside the allowed ranges")
    if argv[0] in PROBES or (argv[0] == "docker" and any(a in PROBES for a in argv)):
        for arg in argv:
            if "::" in arg and arg != "::1":
                raise CaseError(f"{where}: IPv6 probe destinations are not allowed: {arg}")


def local_socket_only(argv):
    """curl --unix-socket talks to the daemon's API socket: no network traffic."""
    return argv[0] == "curl" and any(a == "--unix-socket" or a.startswith("--unix-socket=") for a in argv)


def literal_destinations_only(argv, where):
    """A probe on the host or in the outside namespace takes addresses, never names: a name
    would be looked up through the machine's real resolver."""
    if local_socket_only(argv):
        return
    if argv[0] == "nslookup":
        raise CaseError(f"{where}: nslookup runs only inside containers")
    for arg in argv[1:]:
        if arg.startswith("-") or arg.isdigit():
            continue
        host = re.sub(r"^[a-z]+://", "", arg).split("/")[0].rsplit(":", 1)[0]
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise CaseError(f"{where}: probe destination {arg!r} is not an IPv4 address")


def default_route_dev():
    out = subprocess.run(["ip", "-o", "-4", "route", "show", "default"], capture_output=True, text=True).stdout
    m = re.search(r" dev (\S+)", out)
    return m.group(1) if m else None


def route_leaves_machine(addr, netns=None):
    """True when the host would send to addr through its default-route interface."""
    cmd = ["ip", "-o", "route", "get", addr]
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    dev = default_route_dev()
    return (not out) or (dev is not None and f" dev {dev} " in out + " ")


def runtime_safety_check(step, host_mode_containers):
    """Host-originated probes are not covered by the egress guard (it is in FORWARD):
    their destinations must resolve to a local interface that is not the default route's.
    Containers in the host's namespace count as the host."""
    argv = step["argv"]
    on_host = step["where"] == "host" and argv[0] in PROBES
    if argv[0] == "docker" and len(argv) > 1 and argv[1] in ("run", "exec"):
        if any(a in ("--network=host", "--net=host") for a in argv) or \
                any(a in ("--network", "--net") and b == "host" for a, b in zip(argv, argv[1:])):
            on_host = any(a in PROBES for a in argv)
        elif argv[1] == "exec":
            target = next((a for a in argv[2:] if not a.startswith("-")), None)
            if target in host_mode_containers and any(a in PROBES for a in argv):
                on_host = True
    if not on_host or local_socket_only(argv):
        return None
    if "nslookup" in argv:
        return "refused by the recorder's safety check: nslookup in the host namespace"
    for arg in argv[1:]:
        for m in IPV4_LITERAL.finditer(arg):
            if route_leaves_machine(m.group(1)):
                return f"refused by the recorder's safety check: {m.group(1)} is routed off the machine"
    return None


# ---------------------------------------------------------------- running things

def sh(cmd, check=False, timeout=60, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: rc={r.returncode}: {r.stderr.strip()}")
    return r


def step_env():
    env = dict(os.environ)
    env["PATH"] = BIN_DIR + ":/usr/sbin:/usr/bin:/sbin:/bin"
    env["LC_ALL"] = "C"
    env.pop("DOCKER_HOST", None)
    return env


def decode(b):
    return b.decode("utf-8", errors="backslashreplace")


TEMPLATE = re.compile(r"\{(id|netid|pid|name-by-label):([A-Za-z0-9_.=-]+)\}")


def expand(argv):
    """`{id:NAME}` becomes container NAME's short (12-hex) ID, `{netid:NAME}` network NAME's,
    `{pid:NAME}` the host PID of container NAME's main process (for nsenter), and
    `{name-by-label:K=V}` the (generated) name of the container labelled K=V."""
    def one(m):
        kind, name = m.group(1), m.group(2)
        if kind == "name-by-label":
            found = api("/containers/json?all=1&filters=" + urllib.parse.quote(json.dumps({"label": [name]})))
            if len(found) != 1:
                raise RuntimeError(f"{{name-by-label:{name}}}: {len(found)} containers")
            return found[0]["Names"][0].lstrip("/")
        if kind == "pid":
            return str(api(f"/containers/{name}/json")["State"]["Pid"])
        path = f"/containers/{name}/json" if kind == "id" else f"/networks/{name}"
        return api(path)["Id"][:12]
    return [TEMPLATE.sub(one, a) for a in argv]


def run_step(step, timeout):
    argv = expand(step["argv"])
    if step["where"] == "outside":
        argv = ["ip", "netns", "exec", OUTSIDE_NS] + argv
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=step_env(), cwd="/", start_new_session=True)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(p.pid, signal.SIGKILL)  # the process group this step started
        out, err = p.communicate()
    res = {"exit_code": None if timed_out else p.returncode, "stdout": decode(out), "stderr": decode(err),
           "timed_out": timed_out}
    if argv[-len(step["argv"]):] != step["argv"]:
        res["expanded"] = shlex.join(argv[-len(step["argv"]):])
    return res


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.unix_path)
        self.sock = s


def api(path):
    c = UnixHTTPConnection(DOCKER_SOCK)
    try:
        c.request("GET", path)
        r = c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"GET {path}: {r.status} {data[:200]!r}")
        return json.loads(data)
    finally:
        c.close()


# ---------------------------------------------------------------- environment

def setup_bin_dir():
    os.makedirs(BIN_DIR, exist_ok=True)
    busybox = sh(["sh", "-c", "command -v busybox"]).stdout.strip()
    links = {a: busybox for a in BUSYBOX_APPLETS}
    links["docker"] = DOCKER_CLI
    for name, target in links.items():
        p = os.path.join(BIN_DIR, name)
        if os.path.islink(p) and os.readlink(p) == target:
            continue
        if os.path.lexists(p):
            os.unlink(p)
        os.symlink(target, p)


CGI_IP = "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$REMOTE_ADDR\"\n"


def outside_alive():
    pidf = os.path.join(STATE, "orc-out", "httpd.pid")
    if not os.path.exists(pidf):
        return False
    try:
        os.kill(int(open(pidf).read()), 0)
    except (OSError, ValueError):
        return False
    r = sh(["ip", "-n", OUTSIDE_NS, "-o", "-4", "addr", "show", "dev", OUTSIDE_NS_IF])
    return OUTSIDE_NS_ADDR in r.stdout


def setup_outside():
    """The outside host: netns orc-out, veth orc-out0 (host, 198.18.0.254/24) <-> eth0 in the
    namespace (198.18.0.1/24), routes to the Docker ranges through the host, busybox httpd
    on 198.18.0.1:8080 serving index.html (outside-ok) and /cgi-bin/ip (the client address)."""
    if outside_alive():
        return
    teardown_outside()
    os.makedirs(os.path.join(OUTSIDE_WWW, "cgi-bin"), exist_ok=True)
    with open(os.path.join(OUTSIDE_WWW, "index.html"), "w") as f:
        f.write("outside-ok\n")
    cgi = os.path.join(OUTSIDE_WWW, "cgi-bin", "ip")
    with open(cgi, "w") as f:
        f.write(CGI_IP)
    os.chmod(cgi, 0o755)
    for cmd in (
        ["ip", "netns", "add", OUTSIDE_NS],
        ["ip", "link", "add", OUTSIDE_HOST_IF, "type", "veth", "peer", "name", "orc-out1"],
        ["ip", "link", "set", "orc-out1", "netns", OUTSIDE_NS],
        ["ip", "-n", OUTSIDE_NS, "link", "set", "orc-out1", "name", OUTSIDE_NS_IF],
        ["ip", "addr", "add", OUTSIDE_HOST_ADDR, "dev", OUTSIDE_HOST_IF],
        ["ip", "link", "set", OUTSIDE_HOST_IF, "up"],
        ["ip", "-n", OUTSIDE_NS, "link", "set", "lo", "up"],
        ["ip", "-n", OUTSIDE_NS, "addr", "add", OUTSIDE_NS_ADDR, "dev", OUTSIDE_NS_IF],
        ["ip", "-n", OUTSIDE_NS, "link", "set", OUTSIDE_NS_IF, "up"],
    ):
        sh(cmd, check=True)
    for net in OUTSIDE_ROUTES:
        sh(["ip", "-n", OUTSIDE_NS, "route", "add", net, "via", OUTSIDE_HOST_ADDR.split("/")[0]], check=True)
    busybox = sh(["sh", "-c", "command -v busybox"]).stdout.strip()
    p = subprocess.Popen(["ip", "netns", "exec", OUTSIDE_NS, busybox, "httpd", "-f", "-p", OUTSIDE_HTTP,
                          "-h", OUTSIDE_WWW], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(STATE, "orc-out", "httpd.pid"), "w") as f:
        f.write(str(p.pid))
    for _ in range(40):
        r = sh(["ip", "netns", "exec", OUTSIDE_NS, busybox, "nc", "-w", "1", "198.18.0.1", "8080"])
        if r.returncode == 0:
            break
        time.sleep(0.1)
    say("[recorder] outside namespace orc-out up (198.18.0.1, httpd :8080)")


def teardown_outside():
    pidf = os.path.join(STATE, "orc-out", "httpd.pid")
    if os.path.exists(pidf):
        try:
            os.kill(int(open(pidf).read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        os.unlink(pidf)
    if OUTSIDE_NS in sh(["ip", "netns", "list"]).stdout.split():
        sh(["ip", "netns", "del", OUTSIDE_NS])
    sh(["ip", "link", "del", OUTSIDE_HOST_IF])


def guard_rule():
    out = sh(["iptables", "-S", "DOCKER-USER"]).stdout
    return [l for l in out.splitlines() if GUARD_COMMENT in l]


def environment():
    def out(cmd):
        return sh(cmd).stdout
    pid = open(os.path.join(STATE, "dockerd.pid")).read().strip()
    baseline_fwd = os.path.join(STATE, "baseline.ip_forward")
    return {
        "recorded_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "docker_version": out([DOCKER_CLI, "version"]),
        "docker_client": DOCKER_CLI,
        "dockerd_command": out(["ps", "-o", "args=", "-p", pid]).strip(),
        "kernel": out(["uname", "-srm"]).strip(),
        "iptables_version": out(["iptables", "--version"]).strip(),
        "busybox_version": out(["busybox"]).splitlines()[0],
        "conntrack_version": out(["conntrack", "--version"]).strip(),
        "host": {
            "ip_addr": out(["ip", "addr"]),
            "ip_route": out(["ip", "route"]),
            "resolv_conf": open("/etc/resolv.conf").read(),
            "ip_forward_before_dockerd": open(baseline_fwd).read().strip() if os.path.exists(baseline_fwd) else None,
            "sysctl": {k: out(["sysctl", "-n", k]).strip() for k in (
                "net.ipv4.ip_forward", "net.ipv4.ip_local_port_range",
                "net.bridge.bridge-nf-call-iptables", "net.ipv4.conf.all.route_localnet")},
        },
        "safety": {
            "egress_guard_rules": guard_rule(),
            "note": "added by the shared docker-oracle setup.sh after every daemon start; not Docker's own rule",
        },
        "outside": {
            "netns": OUTSIDE_NS, "host_if": OUTSIDE_HOST_IF, "host_addr": OUTSIDE_HOST_ADDR,
            "ns_if": OUTSIDE_NS_IF, "ns_addr": OUTSIDE_NS_ADDR,
            "ns_routes": [f"{n} via {OUTSIDE_HOST_ADDR.split('/')[0]}" for n in OUTSIDE_ROUTES],
            "listeners": {"tcp 198.18.0.1:8080": "busybox httpd: / -> 'outside-ok', /cgi-bin/ip -> the client's address"},
        },
    }


# ---------------------------------------------------------------- clean state

def clean_docker():
    for c in api("/containers/json?all=1"):
        sh([DOCKER_CLI, "rm", "-f", c["Id"]], timeout=60)
    for n in api("/networks"):
        if n["Name"] not in ("bridge", "host", "none"):
            sh([DOCKER_CLI, "network", "rm", n["Id"]], timeout=60)


def reset_docker_user():
    """Back to the guard rule(s) and Docker's own RETURN: undo a case's `iptables -I DOCKER-USER`."""
    rules = sh(["iptables", "-S", "DOCKER-USER"]).stdout.splitlines()
    extra = [r for r in rules if r.startswith("-A DOCKER-USER") and GUARD_COMMENT not in r
             and r != "-A DOCKER-USER -j RETURN"]
    for r in extra:
        sh(["iptables", "-D"] + shlex.split(r)[1:])


def docker0_ok():
    out = sh(["ip", "-o", "-4", "addr", "show", "dev", "docker0"]).stdout
    return " 172.17.0.1/16 " in out


def reset(restart=True):
    clean_docker()
    reset_docker_user()
    if restart or not docker0_ok():
        mode = "restart" if docker0_ok() else "repair"
        r = sh(["bash", os.path.join(TOOLS, "setup.sh"), mode], timeout=180)
        log(r.stderr)
        if r.returncode != 0:
            raise RuntimeError(f"setup.sh {mode} failed: {r.stderr}")
        if not docker0_ok():
            r = sh(["bash", os.path.join(TOOLS, "setup.sh"), "repair"], timeout=180)
            log(r.stderr)
    if not guard_rule():
        raise RuntimeError("the egress guard is missing after the daemon start; refusing to go on")
    for table in ("filter", "nat", "mangle", "raw"):
        sh(["iptables", "-t", table, "-Z"])
    for flag in ("-s", "-d"):
        for net in ("172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15", "10.99.0.0/16"):
            sh(["conntrack", "-D", flag, net])
    sh(["ip", "neigh", "flush", "dev", "docker0"])
    setup_outside()


# ---------------------------------------------------------------- what Docker handed out

def collect_ids(ids):
    """Every container, network and endpoint ID, and container names, seen so far in the case."""
    for c in api("/containers/json?all=1"):
        name = c["Names"][0].lstrip("/") if c.get("Names") else None
        ids.setdefault(c["Id"], {"kind": "container", "name": name})
        for net, ep in ((c.get("NetworkSettings") or {}).get("Networks") or {}).items():
            if ep.get("EndpointID"):
                ids.setdefault(ep["EndpointID"], {"kind": "endpoint", "name": f"{name}@{net}"})
    for n in (api(f"/networks/{x['Id']}") for x in api("/networks")):
        ids.setdefault(n["Id"], {"kind": "network", "name": n["Name"]})
        for cid, ep in (n.get("Containers") or {}).items():
            if ep.get("EndpointID"):
                ids.setdefault(ep["EndpointID"], {"kind": "endpoint", "name": f"{ep.get('Name')}@{n['Name']}"})


def host_links():
    out = sh(["ip", "-o", "link", "show"]).stdout
    links = {}
    for line in out.splitlines():
        m = re.match(r"(\d+): ([^:@]+)(?:@[^:]+)?:", line)
        if m:
            links[int(m.group(1))] = m.group(2)
    return links


def veth_map(containers):
    """Host-side veth name -> "<container>/<interface>" for every running container."""
    links = host_links()
    result = {}
    for c in containers:
        pid = c["State"].get("Pid") or 0
        if not pid:
            continue
        out = sh(["nsenter", "-t", str(pid), "-n", "ip", "-o", "link", "show"]).stdout
        for line in out.splitlines():
            m = re.match(r"\d+: ([^:@]+)@if(\d+):", line)
            if m and int(m.group(2)) in links:
                result[links[int(m.group(2))]] = f"{c['Name'].lstrip('/')}/{m.group(1)}"
    return dict(sorted(result.items()))


def end_state():
    containers = [api(f"/containers/{c['Id']}/json") for c in api("/containers/json?all=1")]
    containers.sort(key=lambda c: c["Name"])
    networks = sorted((api(f"/networks/{n['Id']}") for n in api("/networks")),
                      key=lambda n: (n["Name"], n["Created"]))
    cstate = []
    for c in containers:
        ns = c.get("NetworkSettings") or {}
        cstate.append({
            "name": c["Name"].lstrip("/"),
            "id": c["Id"],
            "status": c["State"]["Status"],
            "exit_code": c["State"]["ExitCode"],
            "hostname": c["Config"].get("Hostname"),
            "network_mode": c["HostConfig"].get("NetworkMode"),
            "ports": ns.get("Ports") or {},
            "networks": {
                name: {
                    "ip": ep.get("IPAddress"), "prefix_len": ep.get("IPPrefixLen"),
                    "gateway": ep.get("Gateway"), "mac": ep.get("MacAddress"),
                    "aliases": ep.get("Aliases"), "links": ep.get("Links"),
                    "ipam_config": ep.get("IPAMConfig"),
                } for name, ep in sorted((ns.get("Networks") or {}).items())
            },
        })
    nstate = []
    for n in networks:
        opts = n.get("Options") or {}
        device = None
        if n["Driver"] == "bridge":
            device = opts.get("com.docker.network.bridge.name") or f"br-{n['Id'][:12]}"
        nstate.append({
            "name": n["Name"], "id": n["Id"], "driver": n["Driver"], "scope": n["Scope"],
            "internal": n["Internal"], "attachable": n["Attachable"], "ipv6": n["EnableIPv6"],
            "ipam": (n.get("IPAM") or {}).get("Config") or [], "options": opts, "bridge_device": device,
            "containers": sorted((ep.get("Name") or cid) for cid, ep in (n.get("Containers") or {}).items()),
        })
    return {"containers": cstate, "networks": nstate, "veths": veth_map(containers)}


# ---------------------------------------------------------------- recording

def host_mode_names():
    names = set()
    for c in api("/containers/json?all=1"):
        if c.get("HostConfig", {}).get("NetworkMode") == "host":
            names.update(n.lstrip("/") for n in c.get("Names") or [])
            names.add(c["Id"][:12])
    return names


def record_case(case, timeout, restart):
    reset(restart=restart)
    ids = {}
    collect_ids(ids)
    steps = []
    for step in case["steps"]:
        refusal = runtime_safety_check(step, host_mode_names())
        if refusal:
            raise RuntimeError(f"{case['id']} line {step['lineno']}: {refusal}")
        res = run_step(step, timeout)
        steps.append({"line": step["line"], "where": step["where"], **res})
        log(f"  $ {step['line']}\n    rc={res['exit_code']} out={res['stdout'][:200]!r} err={res['stderr'][:200]!r}")
        try:
            collect_ids(ids)
        except Exception as e:  # the daemon can be briefly busy; IDs seen later still count
            log(f"  (ids: {e})")
    state = end_state()
    collect_ids(ids)
    return {
        "id": case["id"], "line": case["line"], "notes": case["notes"], "steps": steps,
        "ids": [{"id": k, **v} for k, v in sorted(ids.items(), key=lambda kv: (kv[1]["kind"], str(kv[1]["name"]), kv[0]))],
        "state": state,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("groups", nargs="*", help="groups (case file names without .txt) to record; default all")
    ap.add_argument("--case", action="append", default=[],
                    help="record only this case id (repeatable); prints JSON to stdout, writes no fixture")
    ap.add_argument("--check", action="store_true", help="parse and safety-check the case files, run nothing")
    ap.add_argument("--no-restart", action="store_true",
                    help="do not restart the daemon between cases (faster, for trying cases out only)")
    ap.add_argument("--timeout", type=float, default=STEP_TIMEOUT, help="seconds per command")
    args = ap.parse_args()

    files = sorted(f for f in os.listdir(CASES_DIR) if f.endswith(".txt"))
    parsed = {}
    for f in files:
        group, cases = parse_case_file(os.path.join(CASES_DIR, f))
        parsed[group] = cases
    total = sum(len(c) for c in parsed.values())
    if args.check:
        for g, cs in parsed.items():
            print(f"{g}: {len(cs)} cases, {sum(len(c['steps']) for c in cs)} commands")
        print(f"total: {total} cases")
        return 0
    if os.geteuid() != 0:
        print("must run as root", file=sys.stderr)
        return 1
    os.makedirs(STATE, exist_ok=True)
    open(LOG, "w").close()
    setup_bin_dir()
    setup_outside()
    try:
        return record(parsed, args)
    finally:
        teardown_outside()


def record(parsed, args):
    started = time.monotonic()

    if args.case:
        wanted = set(args.case)
        out = []
        for g, cs in parsed.items():
            for c in cs:
                if c["id"] in wanted:
                    out.append(record_case(c, args.timeout, not args.no_restart))
        json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0

    groups = args.groups or list(parsed)
    for g in groups:
        if g not in parsed:
            print(f"no case file for group {g}", file=sys.stderr)
            return 2
    os.makedirs(FIXTURES_DIR, exist_ok=True)
    for g in groups:
        t0 = time.monotonic()
        env = environment()
        recorded = []
        for c in parsed[g]:
            say(f"[recorder] {c['id']}")
            recorded.append(record_case(c, args.timeout, not args.no_restart))
        fixture = {"format": FORMAT_VERSION, "group": g, "case_file": f"cases/{g}.txt",
                   "environment": env, "cases": recorded}
        path = os.path.join(FIXTURES_DIR, f"{g}.json")
        with open(path, "w") as f:
            json.dump(fixture, f, indent=1, ensure_ascii=False)
            f.write("\n")
        say(f"[recorder] wrote {os.path.relpath(path, REPO)}: {len(recorded)} cases in {time.monotonic() - t0:.0f} s")
    clean_docker()
    reset_docker_user()
    say(f"[recorder] done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
