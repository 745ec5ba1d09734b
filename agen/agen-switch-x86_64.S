/* agen-switch-x86_64.S — the fiber stack switch for x86_64 (System V ABI)
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A suspended stack holds, from its saved stack pointer upwards:
 *
 *    0  MXCSR (4 bytes), x87 control word (2 bytes), padding
 *    8  r15
 *   16  r14
 *   24  r13
 *   32  r12
 *   40  rbx
 *   48  rbp
 *   56  return address
 *
 * Only the registers the ABI makes callee-saved are kept: the compiler
 * already spilled everything else around the call to agen_switch_swap(). The
 * control bits of MXCSR and the x87 control word are callee-saved too, so a
 * fiber that changes its rounding mode does not change its resumer's.
 *
 * Switching is plain user-space code: no system call, unlike swapcontext()
 * which saves and restores the signal mask.
 *
 * There is deliberately no .note.gnu.property claiming CET support: a
 * hardware shadow stack would reject both the stack switch and the first
 * "return" into the trampoline, so linking this file must (and does) leave
 * the library marked as not shadow-stack compatible.
 */

	.text

/* void agen_switch_swap (AgenSwitchContext *save,   %rdi
 *                        AgenSwitchContext *to);    %rsi */
	.p2align 4
	.globl	agen_switch_swap
	.hidden	agen_switch_swap
	.type	agen_switch_swap, @function
agen_switch_swap:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r13, 0
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r14, 0
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r15, 0
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)

	/* The switch proper. The frame below has the same shape on both
	 * stacks, so the unwind rules above stay true for the new one. */
	movq	%rsp, (%rdi)
	movq	(%rsi), %rsp

	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%r15
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r15
	popq	%r14
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r14
	popq	%r13
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r13
	popq	%r12
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r12
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbp
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %rcx
	jmp	*%rcx
	.cfi_endproc
	.size	agen_switch_swap, .-agen_switch_swap

/* The first agen_switch_swap() into a new fiber "returns" here with
 * %rsp 16-byte aligned, the entry function in %r12 and its argument in
 * %r13 (see agen_switch_init). The call pushes the return address, so the
 * entry function starts with %rsp = 8 (mod 16) as the ABI requires. It
 * never returns; ud2 makes a broken fiber fail loudly instead of running
 * off into whatever follows. */
	.p2align 4
	.type	agen_switch_trampoline, @function
agen_switch_trampoline:
	.cfi_startproc
	/* The outermost frame of a fiber: tell unwinders to stop here. */
	.cfi_undefined %rip
	movq	%r13, %rdi
	call	*%r12
	ud2
	.cfi_endproc
	.size	agen_switch_trampoline, .-agen_switch_trampoline

/* void agen_switch_init (AgenSwitchContext *context,     %rdi
 *                        guint8            *stack_base,  %rsi
 *                        gsize              stack_size,  %rdx
 *                        AgenSwitchEntry    entry,       %rcx
 *                        gpointer           arg);        %r8
 *
 * Builds the frame agen_switch_swap() would have left, as if the fiber had
 * called it from the first instruction of the trampoline. */
	.p2align 4
	.globl	agen_switch_init
	.hidden	agen_switch_init
	.type	agen_switch_init, @function
agen_switch_init:
	.cfi_startproc
	leaq	(%rsi,%rdx), %rax
	andq	$-16, %rax
	leaq	agen_switch_trampoline(%rip), %r9
	movq	%r9, -8(%rax)		/* return address */
	movq	$0, -16(%rax)		/* rbp: terminates frame-pointer chains */
	movq	$0, -24(%rax)		/* rbx */
	movq	%rcx, -32(%rax)		/* r12: entry */
	movq	%r8, -40(%rax)		/* r13: arg */
	movq	$0, -48(%rax)		/* r14 */
	movq	$0, -56(%rax)		/* r15 */
	movq	$0, -64(%rax)
	stmxcsr	-64(%rax)		/* the creator's float control state */
	fnstcw	-60(%rax)
	subq	$64, %rax
	movq	%rax, (%rdi)
	ret
	.cfi_endproc
	.size	agen_switch_init, .-agen_switch_init

	.section .note.GNU-stack,"",%progbits
