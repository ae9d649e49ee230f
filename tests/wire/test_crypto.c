/* test_crypto.c — CRC-32C and SHA-256 against published vectors.
 *   CRC-32C: the standard check value, the RFC 3720 (iSCSI) vectors, and a
 *   bit-by-bit reference over every length 0..300 at every alignment 0..7
 *   (exercises the slicing-by-8 loop and its tail), chained calls.
 *   SHA-256: NIST FIPS 180-4 examples ("abc", "", the 448- and 896-bit
 *   messages, one million 'a'), padding boundaries (55/56/63/64... bytes,
 *   digests from Python's hashlib), and every model file in
 *   $SCIOT_MODELS/index.json against its published "sha256". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_test_util.h"

static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}

static void crc_check_value(void **st)
{
    (void)st;
    assert_int_equal(sciot_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(sciot_crc32c(0, "", 0), 0);
    assert_int_equal(sciot_crc32c(0, NULL, 0), 0);
}

static void crc_rfc3720(void **st)
{
    (void)st;
    uint8_t b[48];
    memset(b, 0, 32);
    assert_int_equal(sciot_crc32c(0, b, 32), 0x8A9136AAu);
    memset(b, 0xFF, 32);
    assert_int_equal(sciot_crc32c(0, b, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    assert_int_equal(sciot_crc32c(0, b, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    assert_int_equal(sciot_crc32c(0, b, 32), 0x113FDB5Cu);
    /* iSCSI SCSI Read (10) command PDU */
    static const uint8_t pdu[48] = {0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0,
                                    0,    0,    4, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18, 0x28, 0, 0, 0, 0, 0, 0, 0,
                                    2,    0,    0, 0, 0, 0, 0, 0};
    assert_int_equal(sciot_crc32c(0, pdu, 48), 0xD9963A56u);
}

static void crc_every_length_and_alignment(void **st)
{
    (void)st;
    uint8_t buf[320];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)tu_rand(&s);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= 308; n++) {
            uint32_t want = crc_bitwise(buf + off, n);
            assert_int_equal(sciot_crc32c(0, buf + off, n), want);
            /* chained in two pieces at every cut point of a few lengths */
            if (n % 37 == 0)
                for (size_t c = 0; c <= n; c++)
                    assert_int_equal(sciot_crc32c(sciot_crc32c(0, buf + off, c), buf + off + c, n - c), want);
        }
}

static void sha_hex(const void *d, size_t n, char out[65])
{
    uint8_t h[32];
    sciot_sha256(d, n, h);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void sha_nist(void **st)
{
    (void)st;
    char h[65];
    sha_hex("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_hex("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_hex(NULL, 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(m448) * 8, 448);
    sha_hex(m448, strlen(m448), h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
                       "nopqrstu";
    assert_int_equal(strlen(m896) * 8, 896);
    sha_hex(m896, strlen(m896), h);
    assert_string_equal(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    sha_hex(a, 1000000, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static void sha_padding_boundaries(void **st)
{
    (void)st;
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
        {1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"},
    };
    char a[1000], h[65];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        sha_hex(a, v[i].n, h);
        assert_string_equal(h, v[i].hex);
    }
}

static void sha_model_files(void **st)
{
    (void)st;
    const char *models = tu_models_dir();
    if (!models)
        skip();
    cJSON *index = tw_load_index(models);
    const cJSON *entry;
    int checked = 0, person = 0;
    cJSON_ArrayForEach(entry, index)
    {
        size_t len;
        uint8_t want[32], got[32];
        uint8_t *file = tu_read(models, cJSON_GetObjectItem(entry, "model")->valuestring, &len);
        assert_int_equal(tw_unhex(cJSON_GetObjectItem(entry, "sha256")->valuestring, want, 32), 0);
        sciot_sha256(file, len, got);
        if (memcmp(got, want, 32))
            fail_msg("%s: SHA-256 differs from index.json", entry->string);
        person += strcmp(entry->string, "person_detect") == 0;
        free(file);
        checked++;
    }
    assert_int_equal(person, 1);
    assert_true(checked >= 4);
    cJSON_Delete(index);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc_check_value),
        cmocka_unit_test(crc_rfc3720),
        cmocka_unit_test(crc_every_length_and_alignment),
        cmocka_unit_test(sha_nist),
        cmocka_unit_test(sha_padding_boundaries),
        cmocka_unit_test(sha_model_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
