// The stage processes and Prometheus are shared by every test and the machine has two cores: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
