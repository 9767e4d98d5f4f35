// One stage process and one Prometheus serve the whole assembly; the tests share a 2-core budget with them.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
