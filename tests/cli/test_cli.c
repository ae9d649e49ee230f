/* test_cli.c — the `sciot` command as a user runs it: help, JSON contracts,
 * images decoded and quantized to exactly the golden inputs, one-line errors
 * with a non-zero exit. Runs the real binary ($SCIOT_BIN, set by CTest). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <stb_image_write.h> /* implementation from Debian's libstb */

#include "testutil.h"

#include "cli_run.h"

static void help_on_every_command(void **st)
{
    (void)st;
    const char *cmds[] = {"--help", "inspect --help", "run --help", "bench --help"};
    for (size_t i = 0; i < 4; i++) {
        tu_result r = tu_cli_run("%s", cmds[i]);
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "usage"));
        tu_cli_done(&r);
    }
    tu_result r = tu_cli_run("frobnicate");
    assert_int_not_equal(r.status, 0);
    tu_cli_done(&r);
}

static void errors_are_one_line(void **st)
{
    (void)st;
    const char *models = tu_models_dir();
    tu_result r = tu_cli_run("run /nonexistent/model.tflite x.bin");
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "/nonexistent/model.tflite"));
    tu_cli_done(&r);
    r = tu_cli_run("inspect");
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    tu_cli_done(&r);
    r = tu_cli_run("bench x --runs zero");
    assert_int_not_equal(r.status, 0);
    tu_cli_done(&r);
    /* a file that is not a model */
    char p[512];
    snprintf(p, sizeof p, "%s/not_a_model.tflite", tu_cli_tmpdir());
    FILE *f = fopen(p, "wb");
    fputs("this is not a flatbuffer at all", f);
    fclose(f);
    r = tu_cli_run("inspect '%s'", p);
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "bad identifier"));
    tu_cli_done(&r);
    if (!models)
        return;
    /* truncated real model */
    size_t len;
    uint8_t *d = tu_read(models, "person_detect/model.tflite", &len);
    snprintf(p, sizeof p, "%s/trunc.tflite", tu_cli_tmpdir());
    f = fopen(p, "wb");
    fwrite(d, 1, len / 2, f);
    fclose(f);
    free(d);
    r = tu_cli_run("inspect '%s'", p);
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "trunc.tflite"));
    tu_cli_done(&r);
    /* an input that is neither the right size nor an image */
    snprintf(p, sizeof p, "%s/junk.bin", tu_cli_tmpdir());
    f = fopen(p, "wb");
    fputs("junk", f);
    fclose(f);
    r = tu_cli_run("run '%s/person_detect/model.tflite' '%s'", models, p);
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "junk.bin"));
    tu_cli_done(&r);
}

/* Compare the "data" array of output 0 with a golden file. */
static void assert_output_equals(const char *json, const char *models, const char *golden)
{
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "outputs"), 0);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "dtype")->valuestring, "int8");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "scale")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "zero_point")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "tensor")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(root, "time_us")));
    cJSON *data = cJSON_GetObjectItem(o, "data");
    size_t len;
    uint8_t *want = tu_read(models, golden, &len);
    assert_int_equal((size_t)cJSON_GetArraySize(data), len);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(cJSON_GetArrayItem(data, (int)i)->valueint, (int8_t)want[i]);
    free(want);
    cJSON_Delete(root);
}

static void run_raw_and_images(void **st)
{
    (void)st;
    const char *models = tu_require_models();
    char p[512];
    /* raw tensor input */
    tu_result r = tu_cli_run("run '%s/person_detect/model.tflite' '%s/person_detect/cases/tflm_person_bmp.in.bin' --json",
                   models, models);
    assert_int_equal(r.status, 0);
    assert_output_equals(r.out, models, "person_detect/cases/tflm_person_bmp.out.bin");
    tu_cli_done(&r);

    /* FOMO takes RGB with scale 1/255, zp -128: q = pixel - 128 exactly, so
     * the OpenMV crop written as PNG and BMP must reproduce the golden. */
    size_t len;
    uint8_t *rgb = tu_read(models, "images/openmv_faces_center_crop_96x96_rgb888.raw", &len);
    assert_int_equal(len, 96 * 96 * 3);
    snprintf(p, sizeof p, "%s/faces.png", tu_cli_tmpdir());
    assert_true(stbi_write_png(p, 96, 96, 3, rgb, 96 * 3));
    r = tu_cli_run("run '%s/fomo_face/model.tflite' '%s' --json", models, p);
    assert_int_equal(r.status, 0);
    assert_output_equals(r.out, models, "fomo_face/cases/openmv_faces_crop.out.bin");
    tu_cli_done(&r);
    snprintf(p, sizeof p, "%s/faces.bmp", tu_cli_tmpdir());
    assert_true(stbi_write_bmp(p, 96, 96, 3, rgb));
    r = tu_cli_run("run '%s/fomo_face/model.tflite' '%s' --json", models, p);
    assert_int_equal(r.status, 0);
    assert_output_equals(r.out, models, "fomo_face/cases/openmv_faces_crop.out.bin");
    tu_cli_done(&r);
    free(rgb);

    /* grayscale model from a gray PNG (tire classifier, q = byte - 128) */
    uint8_t *gray = tu_read(models, "images/esp_person_detect_sample0_person_96x96_gray.raw", &len);
    assert_int_equal(len, 96 * 96);
    snprintf(p, sizeof p, "%s/gray.png", tu_cli_tmpdir());
    assert_true(stbi_write_png(p, 96, 96, 1, gray, 96));
    r = tu_cli_run("run '%s/mobilenetv2_tire/model.tflite' '%s' --json", models, p);
    assert_int_equal(r.status, 0);
    assert_output_equals(r.out, models, "mobilenetv2_tire/cases/esp_sample0_person.out.bin");
    tu_cli_done(&r);
    /* the same gray image as RGB: converted back to one channel */
    uint8_t *rgb3 = malloc(96 * 96 * 3);
    for (int i = 0; i < 96 * 96; i++)
        rgb3[3 * i] = rgb3[3 * i + 1] = rgb3[3 * i + 2] = gray[i];
    snprintf(p, sizeof p, "%s/gray_rgb.png", tu_cli_tmpdir());
    assert_true(stbi_write_png(p, 96, 96, 3, rgb3, 96 * 3));
    r = tu_cli_run("run '%s/mobilenetv2_tire/model.tflite' '%s' --json", models, p);
    assert_int_equal(r.status, 0);
    assert_output_equals(r.out, models, "mobilenetv2_tire/cases/esp_sample0_person.out.bin");
    tu_cli_done(&r);
    free(rgb3);
    /* a larger image is resized: shape and dtype of the output stay right */
    uint8_t *big = malloc(192 * 192);
    for (int y = 0; y < 192; y++)
        for (int x = 0; x < 192; x++)
            big[y * 192 + x] = gray[(y / 2) * 96 + x / 2];
    snprintf(p, sizeof p, "%s/big.jpg", tu_cli_tmpdir());
    assert_true(stbi_write_jpg(p, 192, 192, 1, big, 95));
    r = tu_cli_run("run '%s/person_detect/model.tflite' '%s' --json", models, p);
    assert_int_equal(r.status, 0);
    cJSON *root = cJSON_Parse(r.out);
    cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "outputs"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 2);
    cJSON_Delete(root);
    tu_cli_done(&r);
    free(big);
    free(gray);
}

static void inspect_json_contract(void **st)
{
    (void)st;
    const char *models = tu_require_models();
    tu_result r = tu_cli_run("inspect '%s/fomo_face/model.tflite' --json", models);
    assert_int_equal(r.status, 0);
    cJSON *root = cJSON_Parse(r.out);
    assert_non_null(root);
    cJSON *ops = cJSON_GetObjectItem(root, "operators"), *splits = cJSON_GetObjectItem(root, "splits");
    int n = cJSON_GetArraySize(ops);
    assert_int_equal(n, 27); /* the model README: 27 operators */
    assert_int_equal(cJSON_GetArraySize(splits), n + 1);
    long macs = 0;
    int adds = 0, two_tensor_cuts = 0;
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_GetArrayItem(ops, i);
        assert_int_equal(cJSON_GetObjectItem(o, "index")->valueint, i);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "name")));
        assert_true(cJSON_GetObjectItem(o, "version")->valueint >= 1);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "inputs")),
                         cJSON_GetArraySize(cJSON_GetObjectItem(o, "input_shapes")));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "outputs")),
                         cJSON_GetArraySize(cJSON_GetObjectItem(o, "output_dtypes")));
        adds += !strcmp(cJSON_GetObjectItem(o, "name")->valuestring, "ADD");
        macs += (long)cJSON_GetObjectItem(o, "macs")->valuedouble;
    }
    assert_int_equal(adds, 3);
    /* k = 0 sends the input: 96*96*3 int8; k = N sends the 12x12x2 output */
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(splits, 0), "cut_bytes")->valueint, 96 * 96 * 3);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(splits, n), "cut_bytes")->valueint, 12 * 12 * 2);
    for (int k = 0; k <= n; k++)
        two_tensor_cuts += cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(splits, k), "cut")) == 2;
    assert_true(two_tensor_cuts >= 3); /* splits inside the residual blocks */
    cJSON *tot = cJSON_GetObjectItem(root, "totals");
    assert_int_equal((long)cJSON_GetObjectItem(tot, "macs")->valuedouble, macs);
    assert_true(cJSON_GetObjectItem(tot, "tensor_arena_bytes")->valuedouble <
                cJSON_GetObjectItem(tot, "naive_tensor_bytes")->valuedouble);
    assert_int_equal((long)cJSON_GetObjectItem(tot, "arena_bytes")->valuedouble,
                     (long)cJSON_GetObjectItem(cJSON_GetArrayItem(splits, n), "head_arena_bytes")->valuedouble);
    cJSON_Delete(root);
    tu_cli_done(&r);
}

/* `sciot run --split all`: for every int8 model and golden case, every split
 * point goes head -> wire frame -> tail, and the output equals the golden. */
static void split_all_every_case(void **st)
{
    (void)st;
    const char *models = tu_require_models();
    size_t len;
    char *txt = (char *)tu_read(models, "index.json", &len);
    txt = realloc(txt, len + 1);
    txt[len] = 0;
    cJSON *index = cJSON_Parse(txt);
    free(txt);
    assert_non_null(index);
    int cases = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, index)
    {
        if (!strncmp(entry->string, "sciot_fomo_float_layers", 23))
            continue;
        const char *model = cJSON_GetObjectItem(entry, "model")->valuestring;
        const cJSON *kase;
        cJSON_ArrayForEach(kase, cJSON_GetObjectItem(entry, "cases"))
        {
            const char *in = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(kase, "inputs"), 0), "file")
                                 ->valuestring;
            const char *out =
                cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(kase, "outputs"), 0), "file")->valuestring;
            char golden[512];
            snprintf(golden, sizeof golden, "%s/%s", entry->string, out);
            tu_result r = tu_cli_run("run '%s/%s' '%s/%s/%s' --split all --json", models, model, models, entry->string, in);
            if (r.status != 0)
                fprintf(stderr, "%s %s: %s", entry->string, in, r.err);
            assert_int_equal(r.status, 0);
            assert_output_equals(r.out, models, golden);
            cJSON *root = cJSON_Parse(r.out);
            assert_true(cJSON_IsTrue(cJSON_GetObjectItem(root, "all_match")));
            cJSON *splits = cJSON_GetObjectItem(root, "splits");
            int n = cJSON_GetArraySize(splits);
            assert_true(n >= 5);
            for (int k = 0; k < n; k++) {
                cJSON *sp = cJSON_GetArrayItem(splits, k);
                assert_int_equal(cJSON_GetObjectItem(sp, "split")->valueint, k);
                assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sp, "match")));
                assert_true(cJSON_GetObjectItem(sp, "frame_bytes")->valuedouble > 0);
            }
            cJSON_Delete(root);
            tu_cli_done(&r);
            /* one explicit split point in the middle, raw payloads */
            r = tu_cli_run("run '%s/%s' '%s/%s/%s' --split %d --no-compress --json", models, model, models, entry->string, in,
                    n / 2);
            assert_int_equal(r.status, 0);
            assert_output_equals(r.out, models, golden);
            root = cJSON_Parse(r.out);
            assert_int_equal(cJSON_GetObjectItem(root, "split")->valueint, n / 2);
            assert_true(cJSON_GetObjectItem(root, "frame_bytes")->valuedouble > 0);
            cJSON_Delete(root);
            tu_cli_done(&r);
            cases++;
        }
    }
    assert_true(cases >= 20);
    cJSON_Delete(index);
    tu_result r = tu_cli_run("run '%s/person_detect/model.tflite' '%s/person_detect/cases/tflm_person_bmp.in.bin' --split 99",
                   models, models);
    assert_int_not_equal(r.status, 0);
    assert_int_equal(tu_count_lines(r.err), 1);
    tu_cli_done(&r);
}

static void bench_json_contract(void **st)
{
    (void)st;
    const char *models = tu_require_models();
    tu_result r = tu_cli_run("bench '%s/micro_speech/model.tflite' --runs 3 --warmup 1 --json", models);
    assert_int_equal(r.status, 0);
    cJSON *root = cJSON_Parse(r.out);
    assert_non_null(root);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "operators")), 4);
    assert_true(cJSON_GetObjectItem(root, "total_median_us")->valuedouble > 0);
    assert_true(cJSON_GetObjectItem(root, "macs")->valuedouble > 0);
    cJSON_Delete(root);
    tu_cli_done(&r);
}

int main(void)
{
    if (tu_cli_init())
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_on_every_command), cmocka_unit_test(errors_are_one_line),
        cmocka_unit_test(run_raw_and_images),    cmocka_unit_test(inspect_json_contract),
        cmocka_unit_test(bench_json_contract),   cmocka_unit_test(split_all_every_case),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cli_cleanup();
    return rc;
}
