// The generated XML, read back through libvirt's test driver: what the hypervisor keeps
// is what matters.
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "domain_config.hpp"
#include "domain_xml.hpp"
#include "fake_host.hpp"

namespace formation::libvirt::test {
namespace {

struct Defined {
  std::string xml;
  std::string metadata;
};

Defined define_and_read(const std::string& xml) {
  virConnectPtr conn = virConnectOpen("test:///default");
  EXPECT_NE(conn, nullptr);
  Defined out;
  virDomainPtr d = virDomainDefineXML(conn, xml.c_str());
  EXPECT_NE(d, nullptr) << virGetLastErrorMessage();
  if (d != nullptr) {
    char* text = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE);
    out.xml = text;
    free(text);  // NOLINT(cppcoreguidelines-no-malloc)
    char* meta = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, kMetadataNamespace, 0);
    if (meta != nullptr) out.metadata = meta;
    free(meta);  // NOLINT(cppcoreguidelines-no-malloc)
    virDomainUndefine(d);
    virDomainFree(d);
  }
  virConnectClose(conn);
  return out;
}

DomainSpec sample_spec() {
  DomainSpec s;
  s.instance_id = random_id();
  s.name = "web <&\"> 'one'";
  s.vcpus = 2;
  s.max_vcpus = 8;
  s.memory_mb = 1024;
  s.max_memory_mb = 4096;
  s.seed_iso = "/var/lib/formation/builds/b1/seed.iso";
  s.metadata_json = R"({"owner": "0x<evil>", "build_id": "b1"})";
  return s;
}

TEST(DomainXml, LibvirtKeepsWhatWeWrite) {
  Settings settings;
  settings.domain_type = "qemu";
  auto spec = sample_spec();
  DomainPaths paths{"/var/lib/formation/disks/x/root.qcow2", "/var/log/formation/x&y.log"};
  auto back = define_and_read(domain_xml(spec, settings, paths));
  const auto& x = back.xml;
  EXPECT_NE(x.find("<name>formation-" + spec.instance_id + "</name>"), std::string::npos);
  EXPECT_NE(x.find("<title>web &lt;&amp;&quot;&gt; &apos;one&apos;</title>"), std::string::npos)
      << x;
  EXPECT_NE(x.find("<vcpu placement='static' current='2'>8</vcpu>"), std::string::npos) << x;
  EXPECT_NE(x.find("<maxMemory slots='16' unit='KiB'>4194304</maxMemory>"), std::string::npos);
  EXPECT_NE(x.find("<cell id='0' cpus='0-7' memory='1048576' unit='KiB'/>"), std::string::npos);
  EXPECT_NE(x.find("<acpi/>"), std::string::npos);
  EXPECT_NE(x.find("<on_poweroff>destroy</on_poweroff>"), std::string::npos);
  EXPECT_NE(x.find("<source file='/var/lib/formation/builds/b1/seed.iso'/>"), std::string::npos);
  EXPECT_NE(x.find("<target dev='sda' bus='sata'/>"), std::string::npos);
  EXPECT_NE(x.find("<readonly/>"), std::string::npos);
  EXPECT_NE(x.find("<target dev='vda' bus='virtio'/>"), std::string::npos);
  EXPECT_NE(x.find("<log file='/var/log/formation/x&amp;y.log' append='off'/>"), std::string::npos)
      << x;
  EXPECT_NE(x.find("<source network='default'/>"), std::string::npos);
  EXPECT_EQ(x.find("<graphics"), std::string::npos);
  EXPECT_TRUE(metadata_names(back.metadata, spec.instance_id, settings.storage_dir.string()))
      << back.metadata;
  // Another plugin instance (another storage dir) does not take the domain for its own.
  EXPECT_FALSE(metadata_names(back.metadata, spec.instance_id, "/elsewhere/disks"));
  EXPECT_NE(back.metadata.find("owner=\"0x&lt;evil&gt;\""), std::string::npos) << back.metadata;
  EXPECT_NE(back.metadata.find("build_id=\"b1\""), std::string::npos);
}

TEST(DomainXml, NetworkKindsAndDirectBoot) {
  Settings settings;
  settings.network.type = NetworkType::none;
  settings.direct_boot = DirectBoot{"/boot/vmlinuz", "/boot/initrd.img", "console=ttyS0"};
  auto spec = sample_spec();
  auto x = define_and_read(domain_xml(spec, settings, {"/d/root.qcow2", "/d/c.log"})).xml;
  EXPECT_EQ(x.find("<interface"), std::string::npos);
  EXPECT_NE(x.find("<kernel>/boot/vmlinuz</kernel>"), std::string::npos) << x;
  EXPECT_NE(x.find("<cmdline>console=ttyS0</cmdline>"), std::string::npos);

  settings.network = {NetworkType::bridge, "br0"};
  spec.network = "br-tenant";
  x = domain_xml(spec, settings, {"/d/root.qcow2", "/d/c.log"});
  EXPECT_NE(x.find("<source bridge='br-tenant'/>"), std::string::npos);
  settings.network = {NetworkType::user, ""};
  x = domain_xml(spec, settings, {"/d/root.qcow2", "/d/c.log"});
  EXPECT_NE(x.find("<interface type='user'>"), std::string::npos);
}

TEST(DomainXml, ConfigEditsKeepTheRest) {
  Settings settings;
  auto spec = sample_spec();
  auto xml = domain_xml(spec, settings, {"/d/root.qcow2", "/d/c.log"});
  auto config = read_config(xml);
  ASSERT_TRUE(config.is_ok());
  EXPECT_EQ(config->memory_kb, 1024 * 1024);
  EXPECT_EQ(config->max_memory_kb, 4096 * 1024);
  EXPECT_EQ(config->memory_slots, 16);
  EXPECT_EQ(next_virtio_target(config->disk_targets), "vdb");

  auto grown = with_memory(xml, 2048);
  ASSERT_TRUE(grown.is_ok());
  auto x = define_and_read(*grown).xml;
  EXPECT_NE(x.find("<memory unit='KiB'>2097152</memory>"), std::string::npos) << x;
  EXPECT_NE(x.find("memory='2097152' unit='KiB'"), std::string::npos);

  auto with_disk = with_device(xml, disk_xml("/d/vdb.qcow2", "vdb"));
  ASSERT_TRUE(with_disk.is_ok());
  auto after = read_config(*with_disk);
  ASSERT_TRUE(after.is_ok());
  EXPECT_EQ(after->virtio_disk_count, 2);
  EXPECT_EQ(next_virtio_target(after->disk_targets), "vdc");
}

TEST(DomainXml, InstanceIdsAreHexOnly) {
  EXPECT_TRUE(valid_instance_id("0123abcdef"));
  EXPECT_FALSE(valid_instance_id(""));
  EXPECT_FALSE(valid_instance_id("../etc"));
  EXPECT_FALSE(valid_instance_id("ABC"));
  EXPECT_EQ(instance_id_of("formation-abc"), "abc");
  EXPECT_EQ(instance_id_of("test"), "");
  EXPECT_EQ(instance_id_of("formation-xyz"), "");
}

}  // namespace
}  // namespace formation::libvirt::test
