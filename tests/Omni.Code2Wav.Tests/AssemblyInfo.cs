// The tests drive libtorch on a 2-core budget; running them one at a time keeps each fast.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
