// A program with many shared libraries mapped, for timing how long a tracer holds it before it runs and how
// long it lingers after it exits. Prints "main_wall_ns <ns>" on entry and "exit_wall_ns <ns>" just before it
// returns (CLOCK_REALTIME, comparable with the timestamps of the process that started it).
#include <stdio.h>
#include "clock.h"

int bench_lib_function(int x);

int main(void)
{
	long entered = wall_ns();
	int v = bench_lib_function(1);

	printf("main_wall_ns %ld\nlibs_value %d\n", entered, v);
	printf("exit_wall_ns %ld\n", wall_ns());
	return 0;
}
