// The end-to-end tests load probes into the one kernel and time real workloads: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
