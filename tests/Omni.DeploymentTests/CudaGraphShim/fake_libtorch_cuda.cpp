// Stands in for libtorch_cuda.so: at::cuda::CUDAGraph's members the CUDA graph shim calls, declared as
// ATen/cuda/CUDAGraph.h (PyTorch 2.6 on) and CUDA's driver_types.h declare them, each printing what it was given. The
// second replay throws, as libtorch does on a CUDA error.
#include <cstdio>
#include <stdexcept>
#include <utility>

enum cudaStreamCaptureMode {
  cudaStreamCaptureModeGlobal = 0,
  cudaStreamCaptureModeThreadLocal = 1,
  cudaStreamCaptureModeRelaxed = 2
};

namespace at {
namespace cuda {
using CaptureId_t = unsigned long long;
using MempoolId_t = std::pair<CaptureId_t, CaptureId_t>;

MempoolId_t graph_pool_handle() {
  std::printf("graph_pool_handle\n");
  return {7, 9};
}

struct CUDAGraph {
  explicit CUDAGraph(bool keep_graph = false);
  ~CUDAGraph();
  void capture_begin(MempoolId_t pool = {0, 0}, cudaStreamCaptureMode capture_mode = cudaStreamCaptureModeGlobal);
  void capture_end();
  void replay();

  int marker = 42;
  int replays = 0;
};

CUDAGraph::CUDAGraph(bool keep_graph) { std::printf("CUDAGraph keep_graph=%d\n", keep_graph); }

CUDAGraph::~CUDAGraph() { std::printf("~CUDAGraph marker=%d replays=%d\n", marker, replays); }

void CUDAGraph::capture_begin(MempoolId_t pool, cudaStreamCaptureMode capture_mode) {
  std::printf("capture_begin pool=%llu,%llu mode=%d marker=%d\n", pool.first, pool.second, static_cast<int>(capture_mode), marker);
}

void CUDAGraph::capture_end() { std::printf("capture_end marker=%d\n", marker); }

void CUDAGraph::replay() {
  if (++replays == 2) {
    throw std::runtime_error("CUDA error: an illegal memory access was encountered");
  }
  std::printf("replay %d\n", replays);
}
}  // namespace cuda
}  // namespace at
