#include "domain_config.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <algorithm>
#include <memory>

namespace formation::libvirt {
namespace {

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct ContextFree {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct ObjectFree {
  void operator()(xmlXPathObject* o) const { xmlXPathFreeObject(o); }
};
using Doc = std::unique_ptr<xmlDoc, DocFree>;
using Context = std::unique_ptr<xmlXPathContext, ContextFree>;
using Nodes = std::unique_ptr<xmlXPathObject, ObjectFree>;

const xmlChar* u(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

Doc parse(std::string_view xml) {
  return Doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "domain.xml", nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

Nodes find(xmlDoc* doc, const char* xpath) {
  Context context(xmlXPathNewContext(doc));
  if (!context) return nullptr;
  return Nodes(xmlXPathEvalExpression(u(xpath), context.get()));
}

std::vector<xmlNode*> nodes(xmlDoc* doc, const char* xpath) {
  std::vector<xmlNode*> out;
  auto found = find(doc, xpath);
  if (!found || found->nodesetval == nullptr) return out;
  for (int i = 0; i < found->nodesetval->nodeNr; ++i) out.push_back(found->nodesetval->nodeTab[i]);
  return out;
}

std::string attribute(xmlNode* node, const char* name) {
  xmlChar* value = xmlGetProp(node, u(name));
  if (value == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

std::string content(xmlNode* node) {
  xmlChar* value = xmlNodeGetContent(node);
  if (value == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

// libvirt's scaled integers (<memory unit='KiB'>) in KiB.
std::int64_t kib(xmlNode* node, const char* unit_attribute = "unit") {
  std::int64_t value = 0;
  try {
    value = std::stoll(content(node));
  } catch (const std::exception&) {
    return 0;
  }
  auto unit = attribute(node, unit_attribute);
  if (unit == "b" || unit == "bytes") return value / 1024;
  if (unit == "KB") return value * 1000 / 1024;
  if (unit == "MB") return value * 1000 * 1000 / 1024;
  if (unit == "M" || unit == "MiB") return value * 1024;
  if (unit == "GB") return value * 1000 * 1000 * 1000 / 1024;
  if (unit == "G" || unit == "GiB") return value * 1024 * 1024;
  return value;  // "", "k", "KiB"
}

Result<std::string> dump(xmlDoc* doc) {
  xmlChar* text = nullptr;
  int size = 0;
  xmlDocDumpMemory(doc, &text, &size);
  if (text == nullptr) return Status::internal("cannot serialise the domain XML");
  std::string out(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
  xmlFree(text);
  return out;
}

void set_mib(xmlNode* node, std::int64_t mib) {
  xmlNodeSetContent(node, u(std::to_string(mib).c_str()));
  xmlSetProp(node, u("unit"), u("MiB"));
}

}  // namespace

Result<DomainConfig> read_config(std::string_view xml) {
  auto doc = parse(xml);
  if (!doc) return Status::internal("the hypervisor returned unreadable domain XML");
  DomainConfig c;
  for (auto* n : nodes(doc.get(), "/domain/memory")) c.memory_kb = kib(n);
  for (auto* n : nodes(doc.get(), "/domain/maxMemory")) {
    c.max_memory_kb = kib(n);
    try {
      c.memory_slots = std::stoll(attribute(n, "slots"));
    } catch (const std::exception&) {
      c.memory_slots = 0;
    }
  }
  c.dimm_count =
      static_cast<std::int64_t>(nodes(doc.get(), "/domain/devices/memory[@model='dimm']").size());
  for (auto* n : nodes(doc.get(), "/domain/devices/disk/target")) {
    auto dev = attribute(n, "dev");
    c.disk_targets.push_back(dev);
    if (attribute(n, "bus") == "virtio") ++c.virtio_disk_count;
  }
  return c;
}

Result<std::string> with_memory(std::string_view xml, std::int64_t memory_mb) {
  auto doc = parse(xml);
  if (!doc) return Status::internal("the hypervisor returned unreadable domain XML");
  for (auto* n : nodes(doc.get(), "/domain/devices/memory[@model='dimm']")) {
    xmlUnlinkNode(n);
    xmlFreeNode(n);
  }
  for (auto* n : nodes(doc.get(), "/domain/memory | /domain/currentMemory")) set_mib(n, memory_mb);
  for (auto* n : nodes(doc.get(), "/domain/cpu/numa/cell[@id='0']")) {
    xmlSetProp(n, u("memory"), u(std::to_string(memory_mb).c_str()));
    xmlSetProp(n, u("unit"), u("MiB"));
  }
  return dump(doc.get());
}

Result<std::string> with_device(std::string_view xml, std::string_view device_xml) {
  auto doc = parse(xml);
  auto device = parse(device_xml);
  if (!doc || !device) return Status::internal("cannot read the domain XML");
  auto devices = nodes(doc.get(), "/domain/devices");
  if (devices.empty()) return Status::internal("the domain XML has no <devices>");
  xmlNode* copy = xmlDocCopyNode(xmlDocGetRootElement(device.get()), doc.get(), 1);
  if (copy == nullptr || xmlAddChild(devices.front(), copy) == nullptr) {
    return Status::internal("cannot add the device to the domain XML");
  }
  return dump(doc.get());
}

bool metadata_names(std::string_view metadata_xml, std::string_view id,
                    std::string_view storage_dir) {
  auto doc = parse(metadata_xml);
  if (!doc) return false;
  auto* root = xmlDocGetRootElement(doc.get());
  return root != nullptr && attribute(root, "id") == id &&
         attribute(root, "storage") == storage_dir;
}

std::string next_virtio_target(const std::vector<std::string>& used) {
  for (char c = 'a'; c <= 'z'; ++c) {
    std::string name = std::string("vd") + c;
    if (std::find(used.begin(), used.end(), name) == used.end()) return name;
  }
  return {};
}

}  // namespace formation::libvirt
