/* The AWS pieces that need no server: the EC2 XML reader (cli/cloud/aws_xml.c)
 * on good and malformed replies, credentials/region/endpoint lookup
 * (cli/cloud/aws_config.c) from the environment and from ~/.aws files, the
 * EC2 form encoding (cli/cloud/aws_ec2.c) and the resume file
 * (cli/upload_state.c). The protocol itself is tested against moto
 * (test/cloud/tests.sh). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli/cloud/aws_config.h"
#include "cli/cloud/aws_ec2.h"
#include "cli/cloud/aws_sigv4.h"
#include "cli/cloud/aws_xml.h"
#include "cli/upload_state.h"

static struct xml_node *parse(const char *s, char *err)
{
    return xml_parse(s, strlen(s), err, 256);
}

static void test_xml(void)
{
    char err[256];
    struct xml_node *r = parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                               "<requestId>r</requestId><reservationSet><item><instancesSet>"
                               "<item><instanceId>i-1</instanceId><instanceState><name>running</name></instanceState>"
                               "<tagSet><item><key>pith:instance</key><value>a &amp; b &lt;&#x41;&#66;&gt;</value></item></tagSet>"
                               "</item><item><instanceId>i-2</instanceId></item>"
                               "</instancesSet></item></reservationSet><!-- c --><e/></DescribeInstancesResponse>", err);
    CHECK(r != NULL, "good reply refused: %s", err);
    if (r) {
        CHECK_THAT(strcmp(r->name, "DescribeInstancesResponse") == 0);
        const struct xml_node *inst = xml_path(r, "reservationSet/item/instancesSet/item");
        CHECK_THAT(strcmp(xml_text(inst, "instanceId"), "i-1") == 0);
        CHECK_THAT(strcmp(xml_text(inst, "instanceState/name"), "running") == 0);
        CHECK(strcmp(xml_text(inst, "tagSet/item/value"), "a & b <AB>") == 0, "entities: '%s'",
              xml_text(inst, "tagSet/item/value"));
        CHECK_THAT(inst && inst->next && strcmp(xml_text(inst->next, "instanceId"), "i-2") == 0);
        CHECK_THAT(strcmp(xml_text(r, "no/such/path"), "") == 0);
        CHECK_THAT(xml_child(r, "e") != NULL);
        xml_free(r);
    }
    r = parse("<a:Response xmlns:a=\"x\"><a:Errors><a:Error><a:Code>AuthFailure</a:Code>"
              "<a:Message><![CDATA[no <way>]]></a:Message></a:Error></a:Errors></a:Response>", err);
    CHECK(r != NULL, "prefixed names refused: %s", err);
    if (r) {
        CHECK_THAT(strcmp(xml_text(r, "Errors/Error/Code"), "AuthFailure") == 0);
        CHECK_THAT(strcmp(xml_text(r, "Errors/Error/Message"), "no <way>") == 0);
        xml_free(r);
    }
    static const char *const bad[] = {
        "", "   ", "<a>", "<a><b></a>", "<a></b>", "<a>x</a>trailing", "<a>x</a><b/>", "<a>&bogus;</a>",
        "<a>&amp</a>", "<a b=\"unterminated></a>", "<a><!-- open </a>", "<>", "text", "<a>&#0;</a>",
        "<a><![CDATA[x</a>", "<?xml version=\"1.0\"", "<a>&#x110000;</a>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = parse(bad[i], err);
        CHECK(r == NULL, "malformed '%s' accepted", bad[i]);
        CHECK(r || strncmp(err, "malformed XML: ", 15) == 0 || strcmp(err, "malformed XML: empty reply") == 0,
              "'%s': message '%s'", bad[i], err);
        xml_free(r);
    }
    /* Every prefix of a good reply is malformed, and none crashes. */
    const char *good = "<R><a><b>1</b><c x='>'>2</c></a></R>";
    for (size_t n = 0; n < strlen(good); n++) {
        r = xml_parse(good, n, err, sizeof err);
        CHECK(r == NULL, "prefix of %zu bytes accepted", n);
        xml_free(r);
    }
    /* Deep nesting is refused, not a stack overflow. */
    char deep[4096] = "";
    for (int i = 0; i < 200; i++) strcat(deep, "<a>");
    r = parse(deep, err);
    CHECK(r == NULL && strstr(err, "nested too deeply"), "deep nesting: %s", r ? "accepted" : err);
    xml_free(r);
}

static void clear_env(void)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EBS", "AWS_ENDPOINT_URL_EC2",
        "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_config(const char *dir)
{
    struct aws_config c;
    char err[512], path[600];
    clear_env();
    setenv("HOME", dir, 1);
    CHECK(!aws_config_load(&c, NULL, NULL, err, sizeof err) && strstr(err, "no credentials"), "none: %s", err);
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    CHECK(!aws_config_load(&c, NULL, NULL, err, sizeof err) && strstr(err, "AWS_SECRET_ACCESS_KEY is not"),
          "half: %s", err);
    setenv("AWS_SECRET_ACCESS_KEY", "sec", 1);
    CHECK(!aws_config_load(&c, NULL, NULL, err, sizeof err) && strstr(err, "no region"), "no region: %s", err);
    CHECK(aws_config_load(&c, "eu-west-1", NULL, err, sizeof err), "env keys: %s", err);
    CHECK_THAT(strcmp(c.access_key, "AKID") == 0 && strcmp(c.secret_key, "sec") == 0);
    CHECK_THAT(strcmp(c.ebs_url, "https://ebs.eu-west-1.amazonaws.com") == 0);
    CHECK_THAT(strcmp(c.ec2_url, "https://ec2.eu-west-1.amazonaws.com") == 0);
    setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/", 1);
    setenv("AWS_ENDPOINT_URL_EC2", "http://ec2.local:8", 1);
    setenv("AWS_SESSION_TOKEN", "tok", 1);
    CHECK(aws_config_load(&c, NULL, NULL, err, sizeof err), "env: %s", err);
    CHECK_THAT(strcmp(c.region, "us-west-2") == 0 && strcmp(c.session_token, "tok") == 0);
    CHECK(strcmp(c.ebs_url, "http://127.0.0.1:9") == 0, "ebs url %s", c.ebs_url);
    CHECK_THAT(strcmp(c.ec2_url, "http://ec2.local:8") == 0);
    setenv("AWS_REGION", "ap-south-1", 1);
    CHECK(aws_config_load(&c, NULL, "http://x:1", err, sizeof err), "region env: %s", err);
    CHECK_THAT(strcmp(c.region, "ap-south-1") == 0 && strcmp(c.ec2_url, "http://x:1") == 0);
    CHECK(!aws_config_load(&c, "us east", NULL, err, sizeof err) && strstr(err, "not a region name"), "%s", err);
    CHECK(!aws_config_load(&c, NULL, "ftp://x", err, sizeof err) && strstr(err, "not an http"), "%s", err);

    /* Profiles from the shared files. */
    clear_env();
    snprintf(path, sizeof path, "%s/.aws", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/.aws/credentials", dir);
    write_file(path, "# comment\n[default]\naws_access_key_id = DEFKEY\naws_secret_access_key=DEFSEC\n\n"
                     "[work]\n  aws_access_key_id = AKWORK\naws_access_key_id = WORKKEY\n"
                     "aws_secret_access_key = WORKSEC\naws_session_token = WORKTOK\n");
    snprintf(path, sizeof path, "%s/.aws/config", dir);
    write_file(path, "[default]\nregion = us-east-2\n[profile work]\nregion=eu-central-1\ns3 =\n  region = nope\n"
                     "[profile cfgonly]\naws_access_key_id = CFGKEY\naws_secret_access_key = CFGSEC\nregion = sa-east-1\n");
    CHECK(aws_config_load(&c, NULL, NULL, err, sizeof err), "default profile: %s", err);
    CHECK_THAT(strcmp(c.access_key, "DEFKEY") == 0 && strcmp(c.secret_key, "DEFSEC") == 0);
    CHECK_THAT(strcmp(c.region, "us-east-2") == 0 && c.session_token[0] == '\0');
    setenv("AWS_PROFILE", "work", 1);
    CHECK(aws_config_load(&c, NULL, NULL, err, sizeof err), "work profile: %s", err);
    CHECK(strcmp(c.access_key, "WORKKEY") == 0, "work key '%s' (an indented line is nested, not the key)", c.access_key);
    CHECK_THAT(strcmp(c.session_token, "WORKTOK") == 0 && strcmp(c.region, "eu-central-1") == 0);
    setenv("AWS_PROFILE", "cfgonly", 1);
    CHECK(aws_config_load(&c, NULL, NULL, err, sizeof err), "config-only profile: %s", err);
    CHECK_THAT(strcmp(c.access_key, "CFGKEY") == 0 && strcmp(c.region, "sa-east-1") == 0);
    setenv("AWS_PROFILE", "missing", 1);
    CHECK(!aws_config_load(&c, NULL, NULL, err, sizeof err) && strstr(err, "profile 'missing'"), "%s", err);
    /* The environment's keys win over the profile's, as in botocore. */
    setenv("AWS_PROFILE", "work", 1);
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSEC", 1);
    CHECK(aws_config_load(&c, NULL, NULL, err, sizeof err), "env over profile: %s", err);
    CHECK_THAT(strcmp(c.access_key, "ENVKEY") == 0 && strcmp(c.region, "eu-central-1") == 0);
    clear_env();
    snprintf(path, sizeof path, "%s/.aws/credentials", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/.aws/config", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/.aws", dir);
    rmdir(path);
}

static void test_params(void)
{
    struct ec2_params p;
    ec2_params_init(&p, "RunInstances");
    ec2_param(&p, "TagSpecification.1.Tag.1.Value", "my app/x=1&y~_-.");
    ec2_paramf(&p, "Filter.%d.Name", 2, "tag:pith:instance");
    CHECK(strcmp(p.text, "Action=RunInstances&Version=2016-11-15&TagSpecification.1.Tag.1.Value="
                         "my%20app%2Fx%3D1%26y~_-.&Filter.2.Name=tag%3Apith%3Ainstance") == 0,
          "form: %s", p.text);
    ec2_params_free(&p);
}

/* A PutSnapshotBlock signed by pith's fallback signer: the signature botocore
 * (the AWS SDK's signer) gives for the same request, date and keys. */
static void test_sigv4(void)
{
    const char *headers[] = { "Content-Type: application/octet-stream",
                              "x-amz-Checksum: LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=",
                              "x-amz-Checksum-Algorithm:   SHA256", "x-amz-Data-Length: 5", NULL };
    struct aws_sigv4_request r = {
        "PUT", "ebs.us-east-1.amazonaws.com", "/snapshots/snap-1/blocks/0", headers, "hello", 5,
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok", "us-east-1", "ebs", 1700000000,
    };
    char date[32], auth[1024];
    CHECK_THAT(aws_sigv4_sign(&r, date, sizeof date, auth, sizeof auth));
    CHECK(strcmp(date, "20231114T221320Z") == 0, "date %s", date);
    CHECK(strcmp(auth, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/ebs/aws4_request, "
                       "SignedHeaders=content-type;host;x-amz-checksum;x-amz-checksum-algorithm;x-amz-data-length;"
                       "x-amz-date;x-amz-security-token, "
                       "Signature=c5613301307c98eac0cc2bf8dff3f88de2c2d424eb91d466633bbdce9f8f6da2") == 0,
          "auth %s", auth);
    r.path = "/with space";
    CHECK_THAT(!aws_sigv4_sign(&r, date, sizeof date, auth, sizeof auth));
    /* Which requests libcurl before 8.10 mis-signs: names where one is a prefix of another. */
    const char *plain[] = { "Content-Type: application/json", "x-amz-ChangedBlocksCount: 3", NULL };
    CHECK_THAT(!aws_sigv4_curl_missigns(plain));
}

static void test_state(const char *dir)
{
    char img[600], err[512];
    snprintf(img, sizeof img, "%s/img", dir);
    write_file(img, "image bytes");
    setenv("XDG_STATE_HOME", dir, 1);
    struct upload_state st;
    CHECK(upload_state_open(&st, img, "aws\nr\nu", 100, err, sizeof err), "open: %s", err);
    CHECK_THAT(st.snapshot[0] == '\0' && st.done_count == 0);
    CHECK(upload_state_begin(&st, "snap-1", err, sizeof err), "begin: %s", err);
    upload_state_block_done(&st, 3);
    upload_state_block_done(&st, 99);
    upload_state_block_done(&st, 3);
    upload_state_close(&st);
    /* A line cut short by a crash is ignored. */
    int fd = open(st.path, O_WRONLY | O_APPEND);
    CHECK_THAT(fd >= 0 && write(fd, "block 5", 7) == 7);
    if (fd >= 0) close(fd);
    CHECK(upload_state_open(&st, img, "aws\nr\nu", 100, err, sizeof err), "reopen: %s", err);
    CHECK_THAT(strcmp(st.snapshot, "snap-1") == 0 && st.done_count == 2 && !st.completed);
    CHECK_THAT(upload_state_is_done(&st, 3) && upload_state_is_done(&st, 99) && !upload_state_is_done(&st, 5));
    upload_state_completed(&st);
    upload_state_close(&st);
    CHECK(upload_state_open(&st, img, "aws\nr\nu", 100, err, sizeof err), "reopen: %s", err);
    CHECK_THAT(st.completed);
    upload_state_close(&st);
    /* Another destination is another upload. */
    CHECK(upload_state_open(&st, img, "aws\nother\nu", 100, err, sizeof err), "other: %s", err);
    CHECK_THAT(st.snapshot[0] == '\0');
    upload_state_close(&st);
    CHECK(upload_state_open(&st, img, "aws\nr\nu", 100, err, sizeof err), "reopen: %s", err);
    upload_state_remove(&st);
    upload_state_close(&st);
    CHECK(upload_state_open(&st, img, "aws\nr\nu", 100, err, sizeof err), "after remove: %s", err);
    CHECK_THAT(st.snapshot[0] == '\0');
    upload_state_close(&st);
    unlink(img);
    char sub[700];
    snprintf(sub, sizeof sub, "%s/pith/uploads", dir);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/pith", dir);
    rmdir(sub);
}

int main(void)
{
    char dir[] = "/tmp/test_aws.XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL: mkdtemp\n");
        return 1;
    }
    test_xml();
    test_config(dir);
    test_params();
    test_sigv4();
    test_state(dir);
    rmdir(dir);
    return check_report("test_aws");
}
