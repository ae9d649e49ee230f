/* startup.c — reset and fault handling for the Cortex-M4F of the MPS2 AN386
 * (no CMSIS, no vendor files): enable the FPU, copy .data, zero .bss, paint
 * the stack (so that the firmware can report its deepest use), run main()
 * and leave through semihosting with main's status.
 *
 * There is no heap: _sbrk (the only way newlib's malloc gets memory) stops
 * the firmware with an error, so a stray allocation cannot go unnoticed. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "semihost.h"
#include "startup.h"

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

int main(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)

#define STACK_PAINT 0xC5C5C5C5u

__attribute__((noreturn)) void Reset_Handler(void)
{
    /* CP10/CP11 full access before any floating-point instruction runs. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;)
        *d++ = *s++;
    for (uint32_t *d = __bss_start; d < __bss_end;)
        *d++ = 0;

    /* paint the stack below the current frame */
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_limit; p < sp - 16;)
        *p++ = STACK_PAINT;

    sh_exit(main());
}

size_t fw_stack_used(void)
{
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT)
        p++;
    return (size_t)((const uint8_t *)__stack_top - (const uint8_t *)p);
}

size_t fw_stack_size(void)
{
    return (size_t)((const uint8_t *)__stack_top - (const uint8_t *)__stack_limit);
}

static void fault(const char *what)
{
    sh_printf("FAULT: %s  CFSR=0x%08lx HFSR=0x%08lx BFAR=0x%08lx MMFAR=0x%08lx\n", what,
              (unsigned long)SCB_CFSR, (unsigned long)SCB_HFSR, (unsigned long)SCB_BFAR, (unsigned long)SCB_MMFAR);
    sh_exit(3);
}

static void NMI_Handler(void) { fault("NMI"); }
static void HardFault_Handler(void) { fault("HardFault"); }
static void MemManage_Handler(void) { fault("MemManage"); }
static void BusFault_Handler(void) { fault("BusFault"); }
static void UsageFault_Handler(void) { fault("UsageFault"); }
static void Unexpected_Handler(void) { fault("unexpected exception"); }

/* Newlib's malloc asks here for memory: the firmware has no heap. */
void *_sbrk(ptrdiff_t incr)
{
    (void)incr;
    sh_puts("FAIL: something called malloc (_sbrk): the firmware has no heap\n");
    sh_exit(4);
}

/* The 16 system exception vectors; no peripheral interrupt is enabled. */
typedef void (*vector)(void);

__attribute__((section(".isr_vector"), used)) const vector fw_vectors[16] = {
    (vector)(uintptr_t)__stack_top,
    (vector)Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    Unexpected_Handler, /* SVCall */
    Unexpected_Handler, /* DebugMonitor */
    0,
    Unexpected_Handler, /* PendSV */
    Unexpected_Handler, /* SysTick */
};
