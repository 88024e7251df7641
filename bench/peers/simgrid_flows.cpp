// SimGrid 3.32 (s4u) benchmark peer: runs a flow-level workload through SimGrid's CM02 network model.
//
// Usage: simgrid-flows INPUT.txt OUTPUT_COMPLETIONS.txt
// INPUT.txt (whitespace-separated):
//   gamma <tcpGammaBytes>                      (0 = no TCP window cap)
//   hosts <H>
//   links <N>   then N x: <bandwidthBytesPerSecond> <latencySeconds>
//   routes <R>  then R x: <srcHost> <dstHost> <k> <link_1> ... <link_k>   (one-way)
//   flows <M>   then M x: <startSeconds> <bytes> <srcHost> <dstHost>    (sorted by start)
// OUTPUT_COMPLETIONS.txt: completion time of flow i on line i (%.17g).
// stdout: one JSON line {"flows","wallSeconds","setupSeconds","simulatedSeconds","maxRssBytes"}.
//
// Design: a single driver actor sleeps until each flow's start and fires a one-sided host-to-host
// Comm::sendto_async (no mailboxes, no per-flow actors). Nobody waits on the comms: the kernel records
// each activity's finish time when its network action ends, and we read it (Activity::get_finish_time)
// after Engine::run. This keeps per-flow cost to one sleep + one comm start.
#include <simgrid/s4u.hpp>

#include <sys/resource.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

[[noreturn]] void die(const std::string& msg)
{
  std::fprintf(stderr, "simgrid-flows: error: %s\n", msg.c_str());
  std::exit(1);
}

// Minimal tokenizer over the whole file (fast enough for 10^4..10^5 lines, strict about format).
class Tokens {
  std::string buf_;
  const char* p_;

public:
  explicit Tokens(const char* path)
  {
    std::ifstream in(path, std::ios::binary);
    if (not in)
      die(std::string("cannot open input ") + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    buf_ = ss.str();
    p_   = buf_.c_str();
  }
  void keyword(const char* kw)
  {
    while (*p_ && std::isspace(static_cast<unsigned char>(*p_)))
      p_++;
    size_t n = std::strlen(kw);
    if (std::strncmp(p_, kw, n) != 0 || not std::isspace(static_cast<unsigned char>(p_[n])))
      die(std::string("expected keyword '") + kw + "'");
    p_ += n;
  }
  double number(const char* what)
  {
    char* end;
    double v = std::strtod(p_, &end);
    if (end == p_ || not std::isfinite(v))
      die(std::string("bad or missing number for ") + what);
    p_ = end;
    return v;
  }
  // Integer in [0, max]; parsed through strtod so "1e6" is accepted, but it must be integral.
  uint64_t integer(const char* what, double max = 9007199254740992.0)
  {
    double v = number(what);
    if (v < 0 || v != std::floor(v) || v > max)
      die(std::string("expected an integer in [0, ") + std::to_string(static_cast<uint64_t>(max)) + "] for " + what);
    return static_cast<uint64_t>(v);
  }
};

struct Flow {
  double start;
  uint64_t bytes;
  unsigned src, dst;
};

double seconds_since(std::chrono::steady_clock::time_point t0)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv)
{
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s INPUT.txt OUTPUT_COMPLETIONS.txt\n", argv[0]);
    return 2;
  }
  auto t_setup = std::chrono::steady_clock::now();

  Tokens in(argv[1]);
  in.keyword("gamma");
  double gamma = in.number("gamma");
  if (gamma < 0)
    die("gamma must be >= 0");

  // Engine configuration. --log comes first so SimGrid's own "Configuration change" lines are muted too.
  // TCP-gamma 0 gives every flow a bound of 0/(2*lat) = 0, which max-min treats as "no bound".
  char gamma_cfg[64];
  std::snprintf(gamma_cfg, sizeof gamma_cfg, "--cfg=network/TCP-gamma:%.17g", gamma);
  std::vector<std::string> args = {argv[0],
                                   "--log=root.thres:critical",
                                   "--cfg=network/model:CM02",
                                   "--cfg=network/latency-factor:1",
                                   "--cfg=network/bandwidth-factor:1",
                                   "--cfg=network/weight-S:0",
                                   "--cfg=network/crosstraffic:0",
                                   "--cfg=maxmin/precision:1e-9",
                                   "--cfg=surf/precision:1e-9",
                                   gamma_cfg};
  std::vector<char*> cargv;
  for (auto& a : args)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int cargc = static_cast<int>(args.size());
  sg4::Engine e(&cargc, cargv.data());

  auto* zone = sg4::create_full_zone("root");

  in.keyword("hosts");
  unsigned n_hosts = in.integer("host count", 1e7);
  std::vector<sg4::Host*> hosts(n_hosts);
  for (unsigned h = 0; h < n_hosts; h++)
    hosts[h] = zone->create_host("h" + std::to_string(h), 1e9)->seal(); // host speed is irrelevant here

  in.keyword("links");
  unsigned n_links = in.integer("link count", 1e7);
  std::vector<sg4::Link*> links(n_links);
  for (unsigned l = 0; l < n_links; l++) {
    double bw  = in.number("link bandwidth");
    double lat = in.number("link latency");
    if (bw <= 0 || lat < 0)
      die("link " + std::to_string(l) + ": need bandwidth > 0 and latency >= 0");
    // Default sharing policy (SHARED): one max-min constraint per link.
    links[l] = zone->create_link("l" + std::to_string(l), bw)->set_latency(lat)->seal();
  }

  in.keyword("routes");
  unsigned n_routes = in.integer("route count", 1e8);
  for (unsigned r = 0; r < n_routes; r++) {
    unsigned src = in.integer("route src", n_hosts - 1);
    unsigned dst = in.integer("route dst", n_hosts - 1);
    unsigned k   = in.integer("route length", n_links);
    std::vector<sg4::LinkInRoute> path;
    for (unsigned j = 0; j < k; j++)
      path.emplace_back(links[in.integer("route link", n_links - 1)]);
    // One-way (symmetrical=false): the reverse direction, if used, is declared by its own line.
    zone->add_route(hosts[src]->get_netpoint(), hosts[dst]->get_netpoint(), nullptr, nullptr, path, false);
  }
  zone->seal();

  in.keyword("flows");
  size_t n_flows = in.integer("flow count", 1e9);
  std::vector<Flow> flows(n_flows);
  for (size_t i = 0; i < n_flows; i++) {
    Flow& f = flows[i];
    f.start = in.number("flow start");
    f.bytes = in.integer("flow bytes");
    f.src   = in.integer("flow src", n_hosts - 1);
    f.dst   = in.integer("flow dst", n_hosts - 1);
    if (f.bytes < 1 || f.start < 0 || (i > 0 && f.start < flows[i - 1].start))
      die("flow " + std::to_string(i) + ": need bytes >= 1 and non-decreasing start >= 0");
  }

  // Handles keep each activity (and its recorded finish time) alive after the kernel is done with it.
  std::vector<sg4::CommPtr> comms(n_flows);
  sg4::Actor::create("driver", hosts[0], [&flows, &comms, &hosts]() {
    for (size_t i = 0; i < flows.size(); i++) {
      const Flow& f = flows[i];
      sg4::this_actor::sleep_until(f.start); // no-op when several flows share a start time
      comms[i] = sg4::Comm::sendto_async(hosts[f.src], hosts[f.dst], f.bytes);
    }
  });
  double setup_seconds = seconds_since(t_setup);

  auto t_run = std::chrono::steady_clock::now();
  e.run(); // keeps going after the driver exits, as long as network actions remain
  double wall_seconds = seconds_since(t_run);

  std::FILE* out = std::fopen(argv[2], "w");
  if (out == nullptr)
    die(std::string("cannot write ") + argv[2]);
  for (size_t i = 0; i < n_flows; i++) {
    double t = comms[i] ? comms[i]->get_finish_time() : -1.0;
    if (t < 0) // finish time stays -1 unless the network action really ended
      die("flow " + std::to_string(i) + " did not complete");
    std::fprintf(out, "%.17g\n", t);
  }
  if (std::fclose(out) != 0)
    die(std::string("error writing ") + argv[2]);

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"flows\": %zu, \"wallSeconds\": %.9g, \"setupSeconds\": %.9g, \"simulatedSeconds\": %.17g, "
              "\"maxRssBytes\": %lld}\n",
              n_flows, wall_seconds, setup_seconds, sg4::Engine::get_clock(),
              static_cast<long long>(ru.ru_maxrss) * 1024LL);
  return 0;
}
