/* Calls the CUDA graph shim's C interface in the order CudaGraph.cs does, printing each call's result. */
#include <stdio.h>

const char* omni_cuda_graphs_unavailable(void);
const char* omni_cuda_graph_create(void** graph);
const char* omni_cuda_graph_pool(unsigned long long* first, unsigned long long* second);
const char* omni_cuda_graph_capture_begin(void* graph, int device, unsigned long long pool_first, unsigned long long pool_second);
const char* omni_cuda_graph_capture_end(void* graph);
const char* omni_cuda_graph_replay(void* graph);
void omni_cuda_graph_destroy(void* graph);

static void show(const char* call, const char* error) {
  printf("%s -> %s\n", call, error == NULL ? "ok" : error);
  fflush(stdout);
}

int main(void) {
  void* graph = NULL;
  show("unavailable", omni_cuda_graphs_unavailable());
  const char* created = omni_cuda_graph_create(&graph);
  show("create", created);
  if (created != NULL) {
    return 0;
  }
  unsigned long long first = 0, second = 0;
  show("pool", omni_cuda_graph_pool(&first, &second));
  printf("pool id %llu,%llu\n", first, second);
  show("capture_begin", omni_cuda_graph_capture_begin(graph, 3, first, second));
  show("capture_end", omni_cuda_graph_capture_end(graph));
  show("replay", omni_cuda_graph_replay(graph));
  show("replay", omni_cuda_graph_replay(graph));
  omni_cuda_graph_destroy(graph);
  fflush(stdout);
  return 0;
}
