// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Functions of known cost for calibrating the probes: each returns its argument at once (a few instructions), so
 * a latency recorded on it is the probes' own. One starts with a push, which the kernel emulates in the uprobe
 * trap; the other with a mov, which the kernel single-steps out of line (a second trap). Written in assembly so
 * that no compiler changes those first instructions. The collector loads this library and probes it in its own
 * process only, so no other tracer's probes sit on these functions. */

/* What the calibration calls pass, and the functions return as the "block": the address of the data of a chunk laid
 * out as glibc lays out one it mapped on its own (its size with IS_MMAPPED, 2, in the word before the data), so that
 * the entry program of the free reads its size from it as it does a block of glibc's. The address is far above any
 * size filter, and so is the size. */
struct alloclat_calib_chunk {
	unsigned long prev_size;
	unsigned long size;
	unsigned long data[2];
};

struct alloclat_calib_chunk alloclat_calib_chunk = { 0, (1UL << 40) | 2, { 0, 0 } };

__asm__(
	".text\n"
	".globl alloclat_calib_emulated\n"
	".type alloclat_calib_emulated, @function\n"
	"alloclat_calib_emulated:\n"
	"	push %rbp\n"
	"	mov %rdi, %rax\n"
	"	pop %rbp\n"
	"	ret\n"
	".size alloclat_calib_emulated, .-alloclat_calib_emulated\n"
	".globl alloclat_calib_stepped\n"
	".type alloclat_calib_stepped, @function\n"
	"alloclat_calib_stepped:\n"
	"	mov %rdi, %rax\n"
	"	ret\n"
	".size alloclat_calib_stepped, .-alloclat_calib_stepped\n"
	".section .note.GNU-stack,\"\",@progbits\n");
