// safetensors read/write (include/ember/serialize.h): a small JSON reader/writer of our own for the
// header, strict validation of every offset before any byte is copied, and atomic file writes.
#include "ember/serialize.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#ifdef _WIN32
#include <io.h>
#include <process.h>
#else
#include <unistd.h>
#endif

#include "core/check.h"
#include "ember/ops.h"

namespace ember {

namespace {

// ---- dtype codes, and safetensors' write order (larger alignment first, then by name)
struct DtypeCode {
  Dtype dtype;
  const char* code;
  int rank;  // position in safetensors' Dtype enum order, as far as it orders ember's dtypes
};
constexpr DtypeCode kCodes[] = {
    {Dtype::Bool, "BOOL", 0},  {Dtype::UInt8, "U8", 1},     {Dtype::Int8, "I8", 2},
    {Dtype::Int16, "I16", 3},  {Dtype::Float16, "F16", 4}, {Dtype::BFloat16, "BF16", 5},
    {Dtype::Int32, "I32", 6},  {Dtype::Float32, "F32", 7}, {Dtype::Float64, "F64", 8},
    {Dtype::Int64, "I64", 9},
};

const DtypeCode& code_of(Dtype d) {
  for (const auto& c : kCodes)
    if (c.dtype == d) return c;
  EMBER_FAIL(Runtime, "[ember.save_safetensors] dtype ", d, " has no safetensors code");
}

// ---- a minimal JSON value and parser (objects keep their key order)
struct Json {
  enum Kind { Null, Bool, Int, Float, String, Array, Object } kind = Null;
  bool b = false;
  int64_t i = 0;
  std::string s;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;
};

class Parser {
 public:
  Parser(const char* p, size_t n) : p_(p), end_(p + n) {}

  Json parse_document() {
    Json v = value(0);
    skip_ws();
    check(p_ == end_, "trailing characters after the header's JSON object");
    return v;
  }

 private:
  const char* p_;
  const char* end_;

  [[noreturn]] void fail(const std::string& what) const {
    EMBER_FAIL(Runtime, "[ember.load_safetensors] invalid header JSON: ", what);
  }
  void check(bool ok, const char* what) const {
    if (!ok) fail(what);
  }
  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool literal(const char* word) {
    size_t n = std::strlen(word);
    if (size_t(end_ - p_) >= n && std::memcmp(p_, word, n) == 0) {
      p_ += n;
      return true;
    }
    return false;
  }

  Json value(int depth) {
    check(depth < 64, "nesting deeper than 64 levels");
    skip_ws();
    check(p_ < end_, "unexpected end of header");
    Json v;
    char c = *p_;
    if (c == '{') {
      v.kind = Json::Object;
      ++p_;
      skip_ws();
      if (p_ < end_ && *p_ == '}') {
        ++p_;
        return v;
      }
      while (true) {
        skip_ws();
        check(p_ < end_ && *p_ == '"', "expected a string key");
        std::string key = string();
        skip_ws();
        check(p_ < end_ && *p_ == ':', "expected ':' after a key");
        ++p_;
        v.members.emplace_back(std::move(key), value(depth + 1));
        skip_ws();
        check(p_ < end_, "unterminated object");
        if (*p_ == ',') { ++p_; continue; }
        check(*p_ == '}', "expected ',' or '}' in an object");
        ++p_;
        return v;
      }
    }
    if (c == '[') {
      v.kind = Json::Array;
      ++p_;
      skip_ws();
      if (p_ < end_ && *p_ == ']') {
        ++p_;
        return v;
      }
      while (true) {
        v.items.push_back(value(depth + 1));
        skip_ws();
        check(p_ < end_, "unterminated array");
        if (*p_ == ',') { ++p_; continue; }
        check(*p_ == ']', "expected ',' or ']' in an array");
        ++p_;
        return v;
      }
    }
    if (c == '"') {
      v.kind = Json::String;
      v.s = string();
      return v;
    }
    if (literal("true")) { v.kind = Json::Bool; v.b = true; return v; }
    if (literal("false")) { v.kind = Json::Bool; return v; }
    if (literal("null")) return v;
    check(c == '-' || (c >= '0' && c <= '9'), "unexpected character");
    return number();
  }

  Json number() {
    Json v;
    v.kind = Json::Int;
    bool neg = *p_ == '-';
    if (neg) ++p_;
    check(p_ < end_ && *p_ >= '0' && *p_ <= '9', "malformed number");
    uint64_t acc = 0;
    bool overflow = false;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      uint64_t d = uint64_t(*p_ - '0');
      if (acc > (uint64_t(INT64_MAX) - d) / 10) overflow = true;
      acc = acc * 10 + d;
      ++p_;
    }
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) {
      v.kind = Json::Float;  // only ever an error for safetensors' fields; skip its digits
      while (p_ < end_ && (std::strchr("0123456789.eE+-", *p_) != nullptr)) ++p_;
      return v;
    }
    check(!overflow, "integer out of range");
    v.i = neg ? -int64_t(acc) : int64_t(acc);
    return v;
  }

  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  uint32_t hex4() {
    check(end_ - p_ >= 4, "truncated \\u escape");
    uint32_t cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = *p_++;
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= uint32_t(h - '0');
      else if (h >= 'a' && h <= 'f') cp |= uint32_t(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') cp |= uint32_t(h - 'A' + 10);
      else fail("bad hex digit in a \\u escape");
    }
    return cp;
  }

  std::string string() {
    ++p_;  // opening quote
    std::string out;
    while (true) {
      check(p_ < end_, "unterminated string");
      char c = *p_++;
      if (c == '"') return out;
      check(static_cast<unsigned char>(c) >= 0x20, "control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      check(p_ < end_, "unterminated escape");
      char e = *p_++;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {
            check(end_ - p_ >= 2 && p_[0] == '\\' && p_[1] == 'u', "unpaired surrogate");
            p_ += 2;
            uint32_t lo = hex4();
            check(lo >= 0xDC00 && lo < 0xE000, "unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else {
            check(cp < 0xDC00 || cp >= 0xE000, "unpaired surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: fail("unknown escape");
      }
    }
  }
};

// JSON string escaping as serde_json writes it (what the safetensors package produces).
void put_json_string(std::string& out, const std::string& s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
}

struct Entry {
  std::string name;
  Dtype dtype;
  Shape shape;
  uint64_t begin, end;
};

const char* kLoad = "[ember.load_safetensors] ";

std::vector<Entry> parse_header(const char* header, size_t n, size_t data_bytes, MetadataMap* metadata) {
  Json root = Parser(header, n).parse_document();
  EMBER_CHECK(root.kind == Json::Object, Runtime, kLoad, "the header is not a JSON object");
  std::vector<Entry> entries;
  for (auto& [name, v] : root.members) {
    if (name == "__metadata__") {
      EMBER_CHECK(v.kind == Json::Object, Runtime, kLoad, "__metadata__ must be an object of strings");
      for (auto& [k, s] : v.members) {
        EMBER_CHECK(s.kind == Json::String, Runtime, kLoad, "__metadata__[\"", k, "\"] is not a string");
        if (metadata) (*metadata)[k] = s.s;
      }
      continue;
    }
    EMBER_CHECK(v.kind == Json::Object, Runtime, kLoad, "entry \"", name, "\" is not an object");
    const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (auto& [k, f] : v.members) {
      if (k == "dtype") dtype = &f;
      else if (k == "shape") shape = &f;
      else if (k == "data_offsets") offsets = &f;
    }
    EMBER_CHECK(dtype && dtype->kind == Json::String, Runtime, kLoad, "tensor \"", name, "\" has no dtype string");
    EMBER_CHECK(shape && shape->kind == Json::Array, Runtime, kLoad, "tensor \"", name, "\" has no shape list");
    EMBER_CHECK(offsets && offsets->kind == Json::Array && offsets->items.size() == 2, Runtime, kLoad, "tensor \"",
                name, "\" needs data_offsets [begin, end]");
    Entry e;
    e.name = name;
    bool known = false;
    for (const auto& c : kCodes)
      if (dtype->s == c.code) {
        e.dtype = c.dtype;
        known = true;
      }
    EMBER_CHECK(known, Runtime, kLoad, "tensor \"", name, "\" has dtype ", dtype->s,
                ", which ember does not support (expected one of BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64)");
    uint64_t numel = 1;
    bool overflow = false;
    for (const auto& d : shape->items) {
      EMBER_CHECK(d.kind == Json::Int && d.i >= 0, Runtime, kLoad, "tensor \"", name,
                  "\" has a shape entry that is not a non-negative integer");
      if (d.i != 0 && numel > (uint64_t(1) << 62) / uint64_t(d.i)) overflow = true;
      numel *= uint64_t(d.i);
      e.shape.push_back(d.i);
    }
    for (const auto& o : offsets->items)
      EMBER_CHECK(o.kind == Json::Int && o.i >= 0, Runtime, kLoad, "tensor \"", name,
                  "\" has a data offset that is not a non-negative integer");
    e.begin = uint64_t(offsets->items[0].i);
    e.end = uint64_t(offsets->items[1].i);
    EMBER_CHECK(!overflow, Runtime, kLoad, "tensor \"", name, "\" has too many elements");
    EMBER_CHECK(e.begin <= e.end && e.end <= data_bytes, Runtime, kLoad, "tensor \"", name, "\" has data_offsets [",
                e.begin, ", ", e.end, "] outside the ", data_bytes, " data bytes (truncated file?)");
    EMBER_CHECK(e.end - e.begin == numel * itemsize(e.dtype), Runtime, kLoad, "tensor \"", name, "\" spans ",
                e.end - e.begin, " bytes but its dtype and shape ", fmt(e.shape), " need ", numel * itemsize(e.dtype));
    entries.push_back(std::move(e));
  }
  // The data must be covered exactly once, without holes or overlaps (safetensors' own rule).
  std::vector<const Entry*> order;
  for (const auto& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t pos = 0;
  for (const Entry* e : order) {
    EMBER_CHECK(e->begin == pos, Runtime, kLoad, "tensor \"", e->name, "\" starts at byte ", e->begin, " but byte ",
                pos, " is where the previous tensor ended (overlapping or missing data)");
    pos = e->end;
  }
  EMBER_CHECK(pos == data_bytes, Runtime, kLoad, "the tensors cover ", pos, " data bytes but the file holds ",
              data_bytes);
  return entries;
}

TensorMap load_from(const char* buf, size_t size, MetadataMap* metadata) {
  EMBER_CHECK(size >= 8, Runtime, kLoad, "file too small (", size, " bytes) to hold the 8-byte header length");
  uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = (n << 8) | static_cast<unsigned char>(buf[k]);
  EMBER_CHECK(n <= size - 8, Runtime, kLoad, "header length ", n, " runs past the end of the file (", size,
              " bytes)");
  EMBER_CHECK(n <= (uint64_t(100) << 20), Runtime, kLoad, "header length ", n, " exceeds 100 MB");
  const char* data = buf + 8 + n;
  size_t data_bytes = size - 8 - size_t(n);
  std::vector<Entry> entries = parse_header(buf + 8, size_t(n), data_bytes, metadata);
  TensorMap out;
  for (const auto& e : entries) {
    Tensor t = empty(e.shape, TensorOptions(e.dtype));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), data + e.begin, size_t(e.end - e.begin));
    out[e.name] = t;
  }
  return out;
}

}  // namespace

TensorMap load_safetensors_bytes(const std::string& bytes, MetadataMap* metadata) {
  return load_from(bytes.data(), bytes.size(), metadata);
}

TensorMap load_safetensors(const std::string& path, MetadataMap* metadata) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  EMBER_CHECK(in.good(), Runtime, kLoad, "cannot open ", path, ": ", std::strerror(errno));
  std::streamoff size = in.tellg();
  EMBER_CHECK(size >= 0, Runtime, kLoad, "cannot read the size of ", path);
  in.seekg(0);
  std::string buf(size_t(size), '\0');
  in.read(buf.data(), size);
  EMBER_CHECK(in.gcount() == size, Runtime, kLoad, "short read from ", path);
  return load_from(buf.data(), buf.size(), metadata);
}

std::string save_safetensors_bytes(const TensorMap& tensors, const MetadataMap& metadata) {
  std::vector<std::pair<std::string, Tensor>> order;
  for (const auto& [name, t] : tensors) {
    EMBER_CHECK(t.defined(), Value, "[ember.save_safetensors] tensor \"", name, "\" is undefined");
    EMBER_CHECK(name != "__metadata__", Value, "[ember.save_safetensors] \"__metadata__\" is reserved");
    code_of(t.dtype());
    order.emplace_back(name, t);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    int ra = code_of(a.second.dtype()).rank, rb = code_of(b.second.dtype()).rank;
    return ra != rb ? ra > rb : a.first < b.first;
  });
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) header += ',';
      first = false;
      put_json_string(header, k);
      header += ':';
      put_json_string(header, v);
    }
    header += '}';
  }
  uint64_t pos = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const Tensor& t = order[k].second;
    if (k > 0 || !metadata.empty()) header += ',';
    put_json_string(header, order[k].first);
    header += ":{\"dtype\":\"";
    header += code_of(t.dtype()).code;
    header += "\",\"shape\":[";
    for (int64_t d = 0; d < t.dim(); ++d) {
      if (d) header += ',';
      header += std::to_string(t.size(d));
    }
    uint64_t nbytes = uint64_t(t.numel()) * t.itemsize();
    header += "],\"data_offsets\":[" + std::to_string(pos) + "," + std::to_string(pos + nbytes) + "]}";
    pos += nbytes;
  }
  header += '}';
  while (header.size() % 8 != 0) header += ' ';
  std::string out;
  out.reserve(8 + header.size() + size_t(pos));
  uint64_t n = header.size();
  for (int k = 0; k < 8; ++k) out += char((n >> (8 * k)) & 0xFF);
  out += header;
  for (const auto& [name, t] : order) {
    Tensor c = t.device().is_cpu() ? t.contiguous() : t.to(Device()).contiguous();
    out.append(static_cast<const char*>(c.data_ptr()), size_t(c.numel()) * c.itemsize());
  }
  return out;
}

void save_safetensors(const std::string& path, const TensorMap& tensors, const MetadataMap& metadata) {
  std::string bytes = save_safetensors_bytes(tensors, metadata);
  static int counter = 0;
#ifdef _WIN32
  int pid = _getpid();
#else
  int pid = int(getpid());
#endif
  std::string tmp = path + ".tmp." + std::to_string(pid) + "." + std::to_string(++counter);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  EMBER_CHECK(f != nullptr, Runtime, "[ember.save_safetensors] cannot create ", tmp, ": ", std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
#ifndef _WIN32
  ok = ok && fsync(fileno(f)) == 0;
#endif
  int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (ok) {
#ifdef _WIN32
    std::remove(path.c_str());
#endif
    ok = std::rename(tmp.c_str(), path.c_str()) == 0;
    err = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    EMBER_FAIL(Runtime, "[ember.save_safetensors] writing ", path, " failed: ", std::strerror(err));
  }
}

}  // namespace ember
