module alloclat/workloads

go 1.19
