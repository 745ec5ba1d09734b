/* agen-switch-aarch64.S — the fiber stack switch for aarch64 (AAPCS64)
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A suspended stack holds, from its saved stack pointer upwards:
 *
 *     0  x19 x20     48  x25 x26     96  d8  d9     144  d14 d15
 *    16  x21 x22     64  x27 x28    112  d10 d11    160  FPCR, padding
 *    32  x23 x24     80  x29 x30    128  d12 d13
 *
 * 176 bytes in all, keeping sp 16-byte aligned as AAPCS64 requires at
 * every access. Only callee-saved registers are kept (x19-x29, the link
 * register and the low halves of v8-v15); the compiler already spilled the
 * rest around the call. FPCR (rounding mode, flush-to-zero) is kept as
 * well so that a fiber changing it does not change its resumer's, as on
 * x86_64 and with ucontext; writing it can be slow, so that is skipped when
 * it does not change, which is nearly always.
 *
 * Switching is plain user-space code: no system call.
 */

/* With branch protection, mark the entry points as indirect-branch targets
 * (a NOP on cores without BTI) and say so in the ELF notes, so that linking
 * this file does not turn BTI off for the whole library. */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
# define AGEN_BTI_C hint #34
#else
# define AGEN_BTI_C
#endif

	.text

/* void agen_switch_swap (AgenSwitchContext *save,   x0
 *                        AgenSwitchContext *to);    x1 */
	.p2align 4
	.globl	agen_switch_swap
	.hidden	agen_switch_swap
	.type	agen_switch_swap, %function
agen_switch_swap:
	.cfi_startproc
	AGEN_BTI_C
	sub	sp, sp, #176
	.cfi_def_cfa_offset 176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	.cfi_offset x19, -176
	.cfi_offset x20, -168
	.cfi_offset x21, -160
	.cfi_offset x22, -152
	.cfi_offset x23, -144
	.cfi_offset x24, -136
	.cfi_offset x25, -128
	.cfi_offset x26, -120
	.cfi_offset x27, -112
	.cfi_offset x28, -104
	.cfi_offset x29, -96
	.cfi_offset x30, -88
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]

	/* The switch proper. The frame has the same shape on both stacks, so
	 * the unwind rules above stay true for the new one. */
	mov	x9, sp
	str	x9, [x0]
	ldr	x9, [x1]
	mov	sp, x9

	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldr	x9, [sp, #160]
	mrs	x10, fpcr
	cmp	x9, x10
	b.eq	1f
	msr	fpcr, x9
1:
	add	sp, sp, #176
	.cfi_def_cfa_offset 0
	.cfi_restore x19
	.cfi_restore x20
	.cfi_restore x21
	.cfi_restore x22
	.cfi_restore x23
	.cfi_restore x24
	.cfi_restore x25
	.cfi_restore x26
	.cfi_restore x27
	.cfi_restore x28
	.cfi_restore x29
	.cfi_restore x30
	ret
	.cfi_endproc
	.size	agen_switch_swap, .-agen_switch_swap

/* The first agen_switch_swap() into a new fiber "returns" here (through
 * the x30 agen_switch_init stored) with sp 16-byte aligned, the entry
 * function in x19 and its argument in x20. The entry function never
 * returns; brk makes a broken fiber fail loudly instead of running off into
 * whatever follows. */
	.p2align 4
	.type	agen_switch_trampoline, %function
agen_switch_trampoline:
	.cfi_startproc
	/* The outermost frame of a fiber: tell unwinders to stop here. x29 is
	 * zero too, which ends frame-record chains. */
	.cfi_undefined x30
	mov	x0, x20
	blr	x19
	brk	#1
	.cfi_endproc
	.size	agen_switch_trampoline, .-agen_switch_trampoline

/* void agen_switch_init (AgenSwitchContext *context,     x0
 *                        guint8            *stack_base,  x1
 *                        gsize              stack_size,  x2
 *                        AgenSwitchEntry    entry,       x3
 *                        gpointer           arg);        x4
 *
 * Builds the frame agen_switch_swap() would have left, as if the fiber had
 * called it from the first instruction of the trampoline. */
	.p2align 4
	.globl	agen_switch_init
	.hidden	agen_switch_init
	.type	agen_switch_init, %function
agen_switch_init:
	.cfi_startproc
	AGEN_BTI_C
	add	x9, x1, x2
	and	x9, x9, #-16
	sub	x9, x9, #176
	stp	x3, x4, [x9, #0]	/* x19: entry, x20: arg */
	stp	xzr, xzr, [x9, #16]
	stp	xzr, xzr, [x9, #32]
	stp	xzr, xzr, [x9, #48]
	stp	xzr, xzr, [x9, #64]
	adr	x10, agen_switch_trampoline
	stp	xzr, x10, [x9, #80]	/* x29: 0, x30: the trampoline */
	stp	xzr, xzr, [x9, #96]
	stp	xzr, xzr, [x9, #112]
	stp	xzr, xzr, [x9, #128]
	stp	xzr, xzr, [x9, #144]
	mrs	x10, fpcr		/* the creator's float control state */
	stp	x10, xzr, [x9, #160]
	str	x9, [x0]
	ret
	.cfi_endproc
	.size	agen_switch_init, .-agen_switch_init

#if defined(__ARM_FEATURE_BTI_DEFAULT) || defined(__ARM_FEATURE_PAC_DEFAULT)
/* GNU_PROPERTY_AARCH64_FEATURE_1_AND: bit 0 BTI, bit 1 PAC. Nothing here
 * signs or authenticates return addresses, so claiming PAC is honest: the
 * link register is only ever moved between the caller's frames. */
# if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#  define AGEN_FEATURE_BTI 1
# else
#  define AGEN_FEATURE_BTI 0
# endif
# if defined(__ARM_FEATURE_PAC_DEFAULT) && __ARM_FEATURE_PAC_DEFAULT
#  define AGEN_FEATURE_PAC 2
# else
#  define AGEN_FEATURE_PAC 0
# endif
	.pushsection .note.gnu.property, "a"
	.balign	8
	.long	4			/* name size */
	.long	16			/* descriptor size */
	.long	5			/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.long	0xc0000000		/* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.long	4
	.long	(AGEN_FEATURE_BTI | AGEN_FEATURE_PAC)
	.long	0
	.popsection
#endif

	.section .note.GNU-stack,"",%progbits
