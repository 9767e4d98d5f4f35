// Stands in for libc10_cuda.so: the stream functions the CUDA graph shim calls, declared as c10/core/Device.h,
// c10/core/Stream.h and c10/cuda/CUDAStream.h declare them (same names, same types, hence the same mangled symbols
// and argument passing), each printing what it was given.
#include <cstdint>
#include <cstdio>

namespace c10 {
enum class DeviceType : int8_t { CPU = 0, CUDA = 1 };
using DeviceIndex = int8_t;
using StreamId = int64_t;

struct Device {
  DeviceType type_;
  DeviceIndex index_ = -1;
};

class Stream {
 public:
  Device device_;
  StreamId id_;
};

namespace cuda {
class CUDAStream {
 public:
  Stream stream_;
};

static CUDAStream current{{{DeviceType::CUDA, 0}, 0}};

CUDAStream getStreamFromPool(const bool isHighPriority, DeviceIndex device) {
  std::printf("getStreamFromPool high=%d device=%d\n", isHighPriority, device);
  return CUDAStream{{{DeviceType::CUDA, device}, 1234567890123LL}};
}

CUDAStream getCurrentCUDAStream(DeviceIndex device) {
  std::printf("getCurrentCUDAStream device=%d\n", device);
  return current;
}

void setCurrentCUDAStream(CUDAStream stream) {
  std::printf("setCurrentCUDAStream type=%d index=%d id=%lld\n", static_cast<int>(stream.stream_.device_.type_),
              stream.stream_.device_.index_, static_cast<long long>(stream.stream_.id_));
  current = stream;
}
}  // namespace cuda
}  // namespace c10
