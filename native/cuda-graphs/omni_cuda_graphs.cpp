// CUDA graphs for TorchSharp, which does not expose them: a C interface over libtorch's own at::cuda::CUDAGraph and
// c10::cuda streams, the machinery torch.cuda.graph uses (the caching allocator's private pool for the captured
// tensors, capture on a side stream). No libtorch headers: the C++ functions are looked up by their Itanium-mangled
// names in the libtorch already loaded into the process, so one build serves any PyTorch 2.x libtorch that exports
// them, and a missing one is an error message, not a load failure. Every call catches what libtorch throws: a C++
// exception must not unwind into .NET. Each function returns null on success, else the error's text (valid until
// the thread's next call).
//
// Build: build.sh beside this file (scripts/gpu-check.sh bundle runs it). The library asks for nothing newer than
// glibc 2.2.5's and GCC 5's libstdc++ ABIs (no std::string, dl* bound to their oldest versions), so that a
// machine with any PyTorch loads it.
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>

__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");

namespace {

// c10::cuda::CUDAStream: a c10::Stream (Device {int8 type, int8 index}, int64 id), trivially copyable, 16 bytes: it
// travels in two registers like this struct.
struct Stream {
  std::uint64_t device;
  std::int64_t id;
};

// at::cuda::MempoolId_t: std::pair<unsigned long long, unsigned long long>.
struct MempoolId {
  unsigned long long first;
  unsigned long long second;
};

// Larger than at::cuda::CUDAGraph in any PyTorch 2.x (a few hundred bytes); its constructor writes only its own size.
constexpr std::size_t GraphStorage = 4096;
constexpr int CaptureModeThreadLocal = 1;  // cudaStreamCaptureModeThreadLocal

using GraphCtorKeep = void (*)(void*, bool);
using GraphCtor = void (*)(void*);
using GraphMethod = void (*)(void*);
using CaptureBegin = void (*)(void*, MempoolId, int);
using CaptureBeginFlagged = void (*)(void*, MempoolId, int, bool);
using StreamFromPool = Stream (*)(bool, signed char);
using PoolHandle = MempoolId (*)();
using CurrentStream = Stream (*)(signed char);
using SetStream = void (*)(Stream);

struct Api {
  GraphCtorKeep ctor_keep = nullptr;  // CUDAGraph(bool keep_graph), PyTorch 2.6 on
  GraphCtor ctor = nullptr;           // CUDAGraph(), before
  GraphMethod dtor = nullptr;
  CaptureBegin capture_begin = nullptr;
  CaptureBeginFlagged capture_begin_flagged = nullptr;  // with a trailing bool (dynamic_graph), false here
  GraphMethod capture_end = nullptr;
  GraphMethod replay = nullptr;
  StreamFromPool stream_from_pool = nullptr;
  PoolHandle pool_handle = nullptr;
  CurrentStream current_stream = nullptr;
  SetStream set_stream = nullptr;
  char error[512] = {};
};

thread_local char last_error[1024];

const char* fail(const char* message) {
  std::snprintf(last_error, sizeof last_error, "%s", message);
  return last_error;
}

void* find(void* library, const char* name, Api& a) {
  void* symbol = dlsym(library, name);
  if (symbol == nullptr && a.error[0] == 0) {
    std::snprintf(a.error, sizeof a.error, "libtorch exports no %s", name);
  }
  return symbol;
}

const Api& api() {
  static const Api loaded = [] {
    Api a;
    void* torch = dlopen("libtorch_cuda.so", RTLD_NOW | RTLD_GLOBAL);
    void* c10 = dlopen("libc10_cuda.so", RTLD_NOW | RTLD_GLOBAL);
    if (torch == nullptr || c10 == nullptr) {
      const char* reason = dlerror();
      std::snprintf(a.error, sizeof a.error, "no CUDA libtorch loaded: %s", reason != nullptr ? reason : "libtorch_cuda.so or libc10_cuda.so not found");
      return a;
    }
    a.ctor_keep = reinterpret_cast<GraphCtorKeep>(dlsym(torch, "_ZN2at4cuda9CUDAGraphC1Eb"));
    a.ctor = reinterpret_cast<GraphCtor>(dlsym(torch, "_ZN2at4cuda9CUDAGraphC1Ev"));
    if (a.ctor_keep == nullptr && a.ctor == nullptr) {
      std::snprintf(a.error, sizeof a.error, "libtorch exports no at::cuda::CUDAGraph constructor");
      return a;
    }
    a.dtor = reinterpret_cast<GraphMethod>(find(torch, "_ZN2at4cuda9CUDAGraphD1Ev", a));
    a.capture_begin = reinterpret_cast<CaptureBegin>(dlsym(torch, "_ZN2at4cuda9CUDAGraph13capture_beginESt4pairIyyE21cudaStreamCaptureMode"));
    if (a.capture_begin == nullptr) {
      a.capture_begin_flagged =
          reinterpret_cast<CaptureBeginFlagged>(find(torch, "_ZN2at4cuda9CUDAGraph13capture_beginESt4pairIyyE21cudaStreamCaptureModeb", a));
    }
    a.capture_end = reinterpret_cast<GraphMethod>(find(torch, "_ZN2at4cuda9CUDAGraph11capture_endEv", a));
    a.replay = reinterpret_cast<GraphMethod>(find(torch, "_ZN2at4cuda9CUDAGraph6replayEv", a));
    a.pool_handle = reinterpret_cast<PoolHandle>(find(torch, "_ZN2at4cuda17graph_pool_handleEv", a));
    a.stream_from_pool = reinterpret_cast<StreamFromPool>(find(c10, "_ZN3c104cuda17getStreamFromPoolEba", a));
    a.current_stream = reinterpret_cast<CurrentStream>(find(c10, "_ZN3c104cuda20getCurrentCUDAStreamEa", a));
    a.set_stream = reinterpret_cast<SetStream>(find(c10, "_ZN3c104cuda20setCurrentCUDAStreamENS0_10CUDAStreamE", a));
    return a;
  }();
  return loaded;
}

struct Graph {
  alignas(std::max_align_t) unsigned char storage[GraphStorage];
  bool constructed = false;
  bool capturing = false;
  Stream previous{};
};

template <typename Body>
const char* guarded(Body body) {
  try {
    body();
    return nullptr;
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown C++ exception from libtorch");
  }
}

}  // namespace

extern "C" {

// Null when CUDA graphs can be made here, else why not.
const char* omni_cuda_graphs_unavailable() {
  const Api& a = api();
  return a.error[0] == 0 ? nullptr : fail(a.error);
}

const char* omni_cuda_graph_create(void** graph) {
  *graph = nullptr;
  if (const char* why = omni_cuda_graphs_unavailable()) {
    return why;
  }
  auto* g = new (std::nothrow) Graph();
  if (g == nullptr) {
    return fail("out of host memory");
  }
  const char* error = guarded([&] {
    if (api().ctor_keep != nullptr) {
      api().ctor_keep(g->storage, false);  // keep_graph false: capture_end instantiates the graph and frees its template
    } else {
      api().ctor(g->storage);
    }
    g->constructed = true;
  });
  if (error != nullptr) {
    delete g;
    return error;
  }
  *graph = g;
  return nullptr;
}

// A new memory pool id that graphs captured with it share (at::cuda::graph_pool_handle): safe for graphs replayed one
// at a time whose outputs are read before the next replay.
const char* omni_cuda_graph_pool(unsigned long long* first, unsigned long long* second) {
  if (const char* why = omni_cuda_graphs_unavailable()) {
    return why;
  }
  return guarded([&] {
    MempoolId id = api().pool_handle();
    *first = id.first;
    *second = id.second;
  });
}

// Makes a side stream of `device` current on this thread and begins capturing it, in the memory pool
// (pool_first, pool_second) from omni_cuda_graph_pool, or the graph's own with (0, 0); every CUDA operation this
// thread issues until omni_cuda_graph_capture_end is recorded, not run.
const char* omni_cuda_graph_capture_begin(void* graph, int device, unsigned long long pool_first, unsigned long long pool_second) {
  auto* g = static_cast<Graph*>(graph);
  if (g == nullptr) {
    return fail("no graph");
  }
  return guarded([&] {
    const Api& a = api();
    g->previous = a.current_stream(static_cast<signed char>(device));
    a.set_stream(a.stream_from_pool(false, static_cast<signed char>(device)));
    g->capturing = true;
    if (a.capture_begin != nullptr) {
      a.capture_begin(g->storage, MempoolId{pool_first, pool_second}, CaptureModeThreadLocal);
    } else {
      a.capture_begin_flagged(g->storage, MempoolId{pool_first, pool_second}, CaptureModeThreadLocal, false);
    }
  });
}

// Ends the capture and instantiates the graph; the thread's stream is the one it had before, whatever happened.
const char* omni_cuda_graph_capture_end(void* graph) {
  auto* g = static_cast<Graph*>(graph);
  if (g == nullptr) {
    return fail("no graph");
  }
  const char* error = guarded([&] { api().capture_end(g->storage); });
  if (g->capturing) {
    g->capturing = false;
    const char* restore = guarded([&] { api().set_stream(g->previous); });
    if (error == nullptr) {
      error = restore;
    }
  }
  return error;
}

// Launches the captured work on this thread's current stream.
const char* omni_cuda_graph_replay(void* graph) {
  auto* g = static_cast<Graph*>(graph);
  if (g == nullptr) {
    return fail("no graph");
  }
  return guarded([&] { api().replay(g->storage); });
}

void omni_cuda_graph_destroy(void* graph) {
  auto* g = static_cast<Graph*>(graph);
  if (g == nullptr) {
    return;
  }
  if (g->constructed) {
    guarded([&] { api().dtor(g->storage); });
  }
  delete g;
}

}  // extern "C"
