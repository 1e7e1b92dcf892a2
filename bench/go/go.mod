module alloclat/bench

go 1.19
