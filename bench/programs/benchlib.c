// One of the many libraries manylibs is linked against; each copy also brings its own exported symbols for a
// tracer's symbol scan to read.
int bench_lib_function(int x)
{
	return x + 1;
}

int bench_lib_table[256] = { 1 };
