/* main.c — SCIoT on a Cortex-M4F (MPS2 AN386 under QEMU): person_detect
 * through the portable device core, no heap, no network.
 *
 * The model, one input and its golden output are C arrays generated at
 * build time from $SCIOT_MODELS (embed.cmake). The firmware
 *   1. parses the model into a static table buffer (two-pass reader),
 *   2. plans the arena into a static buffer (size checked at run time:
 *      the exact need is printed, and a build with a smaller buffer fails
 *      with the number to configure),
 *   3. runs the model through the device core with a platform whose
 *      transport always fails: a full local run (k = N, its LOCAL report
 *      cannot be delivered) and then every split k in [0, N), where the
 *      device runs [0, k), encodes the frame, the exchange fails and it
 *      falls back to running [k, N) itself;
 *   4. runs the engine alone once more with a per-operator hook, for the
 *      instruction counts,
 *   5. prints the prediction against the golden output, flash, static RAM,
 *      arena, stack, and instructions per inference and per MAC,
 * and exits (semihosting) with 0 when every prediction is bit-exact.
 *
 * Timing: QEMU models no DWT cycle counter on this board (its `info mtree`
 * shows none; 0xE0001000 falls in the default PPB region), and semihosting
 * SYS_ELAPSED reads the host's clock. The CMSDK APB timer 0 (0x40000000)
 * counts down at the board's 25 MHz from QEMU's virtual clock; under
 * `-icount shift=0` the virtual clock advances 1 ns per guest instruction,
 * so one timer tick is 40 instructions. The firmware calibrates this with a
 * loop of known instruction count instead of assuming it. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sciot/device.h"
#include "sciot/engine.h"
#include "sciot/model.h"
#include "sciot/wire.h"
#include "semihost.h"
#include "startup.h"

/* generated at build time (embed.cmake) */
extern const uint8_t fw_model[], fw_input[], fw_golden[], fw_model_sha256[32];
extern const size_t fw_model_len, fw_input_len, fw_golden_len;

/* ---- static memory: every buffer the library gets -------------------- */
#ifndef SCIOT_FW_TABLE_BYTES
#define SCIOT_FW_TABLE_BYTES 56320
#endif
#ifndef SCIOT_FW_ARENA_BYTES
#define SCIOT_FW_ARENA_BYTES 83968
#endif
#ifndef SCIOT_FW_TX_BYTES
#define SCIOT_FW_TX_BYTES 37888
#endif
#ifndef SCIOT_FW_RX_BYTES
#define SCIOT_FW_RX_BYTES 256
#endif
#ifndef SCIOT_FW_MAX_OPS
#define SCIOT_FW_MAX_OPS 64
#endif

static uint64_t model_tables[SCIOT_FW_TABLE_BYTES / 8];
static uint8_t arena[SCIOT_FW_ARENA_BYTES] __attribute__((aligned(16)));
static uint8_t tx[SCIOT_FW_TX_BYTES] __attribute__((aligned(8)));
static uint8_t rx[SCIOT_FW_RX_BYTES] __attribute__((aligned(8)));
static uint32_t op_times[SCIOT_FW_MAX_OPS];
static sciot_model model;
static sciot_device dev;
static uint64_t op_ticks[SCIOT_FW_MAX_OPS];

/* ---- clock: CMSDK APB timer 0 ----------------------------------------- */
#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define TIMER_HZ 25000000u /* MPS2 AN386 peripheral clock */

static uint64_t tick_base;
static uint32_t tick_last;

static void timer_start(void)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1; /* enable, internal clock, no interrupt */
    tick_last = 0;
    tick_base = 0;
}

/* Ticks since timer_start, extended to 64 bits (one wrap is 171 s). */
static uint64_t ticks(void)
{
    uint32_t t = 0xFFFFFFFFu - TIMER0_VALUE;
    if (t < tick_last)
        tick_base += 1ull << 32;
    tick_last = t;
    return tick_base + t;
}

static uint64_t pf_now_us(void *ctx)
{
    (void)ctx;
    return ticks() / (TIMER_HZ / 1000000u);
}

/* No network on this MCU: every exchange fails, as a dead link would. */
static sciot_status pf_exchange(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp, size_t resp_cap,
                                size_t *resp_len, uint32_t timeout_ms, sciot_error *err)
{
    (void)ctx, (void)req, (void)req_len, (void)resp, (void)resp_cap, (void)timeout_ms;
    *resp_len = 0;
    return sciot_fail(err, SCIOT_ERR_IO, "no network on this board");
}

/* 2 instructions an iteration (subs + bne), plus the 4 around it. */
static void spin(uint32_t n)
{
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

/* Instructions per timer tick x 1000, measured with a loop of known
 * instruction count. Exactly 40000 under -icount shift=0. */
static uint64_t calibrate_milli(void)
{
    const uint32_t n = 2000000;
    uint64_t t0 = ticks();
    spin(n);
    uint64_t dt = ticks() - t0;
    return dt ? (2ull * n * 1000u + dt / 2) / dt : 0;
}

static uint64_t ipt_milli; /* instructions per tick x 1000 */

static uint64_t to_insns(uint64_t t)
{
    return (t * ipt_milli + 500) / 1000;
}

static void op_hook(void *user, int32_t op, int phase)
{
    static uint64_t t0;
    (void)user;
    if (phase == 0)
        t0 = ticks();
    else if (op < SCIOT_FW_MAX_OPS)
        op_ticks[op] = ticks() - t0;
}

static int same_as_golden(const char *what)
{
    const int8_t *got = sciot_device_output(&dev, 0);
    int ok = memcmp(got, fw_golden, fw_golden_len) == 0;
    if (!ok) {
        sh_printf("MISMATCH %s:", what);
        for (size_t i = 0; i < fw_golden_len && i < 16; i++)
            sh_printf(" %d/%d", got[i], ((const int8_t *)fw_golden)[i]);
        sh_puts(" (got/golden)\n");
    }
    return ok;
}

static void put_input(void)
{
    memcpy(sciot_device_input(&dev, 0), fw_input, fw_input_len);
}

static int fail(const char *what, const sciot_error *e)
{
    sh_printf("FAIL: %s: %s\n", what, e->msg);
    return 1;
}

int main(void)
{
    sciot_error err = {0};
    char a[24], b[24], c[32];
    int mismatches = 0;

    timer_start();
    ipt_milli = calibrate_milli();
    sh_printf("sciot firmware: Cortex-M4F, MPS2 AN386; model %u bytes, input %u, golden output %u\n",
              (unsigned)fw_model_len, (unsigned)fw_input_len, (unsigned)fw_golden_len);
    sh_printf("clock: APB timer at 25 MHz, %s instructions per tick (40.00 under -icount shift=0)\n",
              fmt_centi(c, ipt_milli / 10));
    if (ipt_milli != 40000)
        sh_puts("NOTE: not under -icount shift=0: the virtual clock follows the host, and the instruction counts "
                "below are not instructions\n");

    /* 1. model tables */
    size_t need = 0;
    if (sciot_model_storage_size(fw_model, fw_model_len, &need, &err))
        return fail("model", &err);
    if (need > sizeof model_tables) {
        sh_printf("FAIL: the model tables need %u bytes, SCIOT_FW_TABLE_BYTES is %u\n", (unsigned)need,
                  (unsigned)sizeof model_tables);
        return 1;
    }
    if (sciot_model_parse(&model, fw_model, fw_model_len, model_tables, sizeof model_tables, &err))
        return fail("model", &err);
    size_t table_need = need;

    /* The library's messages must not depend on this libc's printf (newlib-
     * nano has no %zu and no %lld: the library formats them itself). */
    {
        sciot_model tmp;
        sciot_error e1 = {0}, e2 = {0};
        sciot_model_parse(&tmp, fw_model, fw_model_len, model_tables, 64, &e1);
        sciot_fail(&e2, SCIOT_ERR_LENGTH, "%zu|%llu|%lld|%s|%" PRId32, (size_t)37184, 18446744073709551615ull,
                   -5000000000ll, "ok", (int32_t)-7);
        if (!strstr(e1.msg, "64 bytes") || strcmp(e2.msg, "37184|18446744073709551615|-5000000000|ok|-7")) {
            sh_printf("FAIL: library messages are misformatted on this libc: \"%s\" / \"%s\"\n", e1.msg, e2.msg);
            return 1;
        }
        sh_printf("library message (formatted by the library, not newlib-nano): \"%s\"\n", e1.msg);
    }
    if (model.n_inputs != 1 || model.n_outputs != 1 || model.tensors[model.inputs[0]].bytes != fw_input_len ||
        model.tensors[model.outputs[0]].bytes != fw_golden_len || model.n_ops > SCIOT_FW_MAX_OPS) {
        sh_puts("FAIL: this firmware runs models with one input and one output of the embedded sizes, and at most "
                "SCIOT_FW_MAX_OPS operators\n");
        return 1;
    }
    uint64_t macs = 0;
    for (int32_t i = 0; i < model.n_ops; i++)
        macs += model.ops[i].macs;

    /* 2. arena and frame buffers */
    size_t arena_need = 0, tx_need = sciot_device_frame_cap(&model), rx_need = sciot_device_reply_cap(&model);
    if (sciot_device_arena_size(&model, &arena_need, &err))
        return fail("arena", &err);
    if (arena_need > sizeof arena || tx_need > sizeof tx || rx_need > sizeof rx) {
        sh_printf("FAIL: needs arena %u, frame %u, reply %u bytes; configured SCIOT_FW_ARENA_BYTES=%u "
                  "SCIOT_FW_TX_BYTES=%u SCIOT_FW_RX_BYTES=%u\n",
                  (unsigned)arena_need, (unsigned)tx_need, (unsigned)rx_need, (unsigned)sizeof arena,
                  (unsigned)sizeof tx, (unsigned)sizeof rx);
        return 1;
    }
    /* The model's identity on the wire is its SHA-256, computed at build
     * time; hashing 300 KB here once checks the library's SHA-256 on the
     * target (a product firmware skips it: see the instruction count). */
    uint8_t sha[32];
    uint64_t t0 = ticks();
    sciot_sha256(fw_model, fw_model_len, sha);
    uint64_t sha_ticks = ticks() - t0;
    if (memcmp(sha, fw_model_sha256, 32)) {
        sh_puts("FAIL: SHA-256 of the model differs from the build-time hash\n");
        return 1;
    }
    const sciot_device_platform pf = {.ctx = NULL, .now_us = pf_now_us, .delay_us = NULL, .exchange = pf_exchange};
    t0 = ticks();
    if (sciot_device_init(&dev, &model, fw_model_sha256, "cortex-m4-qemu", arena, sizeof arena, tx, sizeof tx, rx, sizeof rx,
                          op_times, &pf, &err))
        return fail("device init", &err);
    uint64_t init_ticks = ticks() - t0;

    /* 3a. a full local run through the device core (k = N) */
    sciot_device_result r;
    const int32_t n = model.n_ops;
    put_input();
    t0 = ticks();
    if (sciot_device_infer(&dev, &r, &err))
        return fail("inference", &err);
    uint64_t dev_ticks = ticks() - t0;
    mismatches += !same_as_golden("local run");
    if (r.where != SCIOT_WHERE_LOCAL || !r.report_pending || r.split != n) {
        sh_printf("FAIL: full local run: where=%s report_pending=%d split=%" PRId32 "\n", sciot_where_name(r.where),
                  r.report_pending, r.split);
        return 1;
    }
    const int8_t *out = sciot_device_output(&dev, 0);
    sh_printf("prediction (k = N = %" PRId32 ", local):", n);
    for (size_t i = 0; i < fw_golden_len && i < 16; i++)
        sh_printf(" %d", out[i]);
    sh_puts("   golden:");
    for (size_t i = 0; i < fw_golden_len && i < 16; i++)
        sh_printf(" %d", ((const int8_t *)fw_golden)[i]);
    sh_printf("   %s\n", mismatches ? "MISMATCH" : "bit-exact");
    sh_printf("  LOCAL report of %u bytes kept for later (edge unreachable: %s)\n", (unsigned)r.bytes_sent,
              r.error);

    /* 3b. every split: [0, k) here, the frame, a failed exchange, [k, N) here */
    int32_t fallbacks = 0;
    size_t max_frame = 0;
    for (int32_t k = 0; k < n; k++) {
        /* a stale output must not pass: poison it (before the input, which may share its storage) */
        memset((void *)(uintptr_t)sciot_device_output(&dev, 0), 0x55, fw_golden_len);
        put_input();
        sciot_device_set_split(&dev, k);
        if (sciot_device_infer(&dev, &r, &err))
            return fail("inference", &err);
        char what[32];
        snprintf(what, sizeof what, "split k = %" PRId32, k);
        int ok = same_as_golden(what);
        mismatches += !ok;
        if (r.split != k || !r.fell_back || r.where != SCIOT_WHERE_LOCAL || r.bytes_sent == 0) {
            sh_printf("FAIL: k = %" PRId32 ": split=%" PRId32 " fell_back=%d where=%s bytes_sent=%u\n", k, r.split,
                      r.fell_back, sciot_where_name(r.where), (unsigned)r.bytes_sent);
            return 1;
        }
        fallbacks++;
        if (r.bytes_sent > max_frame)
            max_frame = r.bytes_sent;
    }
    sh_printf("fallback: %" PRId32 " splits k = 0..%" PRId32 ", each encoded its frame (largest %u bytes), the "
              "exchange failed and the device finished the model: %s\n",
              fallbacks, n - 1, (unsigned)max_frame, mismatches ? "MISMATCH" : "all bit-exact");

    /* 4. the engine alone, with a per-operator hook */
    put_input();
    sciot_engine_set_hook(&dev.engine, op_hook, NULL);
    t0 = ticks();
    if (sciot_engine_run(&dev.engine, 0, n, &err))
        return fail("engine run", &err);
    uint64_t eng_ticks = ticks() - t0;
    sciot_engine_set_hook(&dev.engine, NULL, NULL);
    mismatches += !same_as_golden("engine run");

    sh_puts("per operator: op  type                  MACs        instructions  instr/MAC\n");
    for (int32_t i = 0; i < n; i++) {
        uint64_t ins = to_insns(op_ticks[i]);
        uint64_t m = model.ops[i].macs;
        sh_printf("  %3" PRId32 "  %-20s %10s  %12s  %9s\n", i, sciot_op_name(model.ops[i].code), fmt_u64(a, m),
                  fmt_u64(b, ins), m ? fmt_centi(c, (ins * 100 + m / 2) / m) : "-");
    }

    /* 5. sizes */
    extern uint8_t __flash_start[], __flash_end[], __text_start[], __text_end[], __rodata_start[], __rodata_end[];
    extern uint8_t __data_start[], __data_end[], __bss_start[], __bss_end[];
    size_t flash = (size_t)(__flash_end - __flash_start);
    size_t text = (size_t)(__text_end - __text_start), rodata = (size_t)(__rodata_end - __rodata_start);
    size_t data = (size_t)(__data_end - __data_start), bss = (size_t)(__bss_end - __bss_start);
    size_t fixture = fw_input_len + fw_golden_len;
    sh_printf("SIZE flash_bytes=%u (text %u + rodata %u + other %u); of which model %u, test input+golden %u, "
              "code and constants %u\n",
              (unsigned)flash, (unsigned)text, (unsigned)rodata, (unsigned)(flash - text - rodata),
              (unsigned)fw_model_len, (unsigned)fixture, (unsigned)(flash - fw_model_len - fixture));
    sh_printf("SIZE static_ram_bytes=%u (data %u + bss %u); of which arena %u, model tables %u, frame buffer %u, "
              "reply buffer %u, device state %u\n",
              (unsigned)(data + bss), (unsigned)data, (unsigned)bss, (unsigned)sizeof arena,
              (unsigned)sizeof model_tables, (unsigned)sizeof tx, (unsigned)sizeof rx, (unsigned)sizeof dev);
    sh_printf("SIZE arena_bytes=%u (activations %u + persistent %u; naive sum of tensors %u) model_table_bytes=%u "
              "frame_bytes=%u reply_bytes=%u\n",
              (unsigned)arena_need, (unsigned)dev.engine.info.tensor_bytes,
              (unsigned)dev.engine.info.persistent_bytes, (unsigned)dev.engine.info.naive_bytes,
              (unsigned)table_need, (unsigned)tx_need, (unsigned)rx_need);
    sh_printf("SIZE stack_peak_bytes=%u of %u\n", (unsigned)fw_stack_used(), (unsigned)fw_stack_size());

    /* 6. instructions */
    uint64_t eng_ins = to_insns(eng_ticks);
    sh_printf("COUNT macs=%s instructions_per_inference=%s instructions_per_mac=%s (engine run [0, N))\n",
              fmt_u64(a, macs), fmt_u64(b, eng_ins), fmt_centi(c, macs ? (eng_ins * 100 + macs / 2) / macs : 0));
    sh_printf("COUNT device_infer_instructions=%s (k = N: + per-operator timing + LOCAL report encode)\n",
              fmt_u64(a, to_insns(dev_ticks)));
    sh_printf("COUNT init_instructions=%s (plan + prepare) sha256_instructions=%s (hashing the model on the target: "
              "a check here, the identity itself is computed at build time)\n",
              fmt_u64(a, to_insns(init_ticks)), fmt_u64(b, to_insns(sha_ticks)));

    if (mismatches) {
        sh_printf("RESULT FAIL: %d predictions differ from the golden output\n", mismatches);
        return 1;
    }
    sh_puts("RESULT PASS: every prediction equals the golden output\n");
    return 0;
}
