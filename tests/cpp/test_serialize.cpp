// safetensors from C++ (ember/serialize.h), through the public headers only.
// Usage: test_serialize IN OUT
//   IN  a file written by ember's Python save_file (tests/test_cpp.py makes it): checks its values;
//   OUT a file this program writes for the Python side to check.
// Also checks that corrupt files raise ember::Error. Prints "N checks, M failed"; exits non-zero on failure.
#include <ember/ember.h>
#include <ember/serialize.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

int g_failures = 0;
int g_checks = 0;

void check(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL: %s\n", what.c_str());
  }
}

double at(const ember::Tensor& t, int64_t i) {
  return ember::to_dtype(t, ember::Dtype::Float64).contiguous().data<double>()[i];
}

bool has_shape(const ember::Tensor& t, const ember::Shape& s) { return t.sizes() == s; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// The Python side wrote: w = arange(6).view(2, 3) float32, ids = [-3, 0, 7] int64, h = [0.5, -2] float16,
// b = [1.5, -3] bfloat16, flags = [true, false, true] bool, d = 2.25 (0-dim float64), metadata {"format": "pt"}.
void test_load_python_file(const std::string& path) {
  ember::MetadataMap meta;
  ember::TensorMap m = ember::load_safetensors(path, &meta);
  check(m.size() == 6, "six tensors");
  check(meta.size() == 1 && meta["format"] == "pt", "metadata");
  const ember::Tensor& w = m.at("w");
  check(w.dtype() == ember::Dtype::Float32 && has_shape(w, {2, 3}), "w dtype/shape");
  for (int i = 0; i < 6; ++i) check(at(w, i) == double(i), "w values");
  const ember::Tensor& ids = m.at("ids");
  check(ids.dtype() == ember::Dtype::Int64 && ids.data<int64_t>()[0] == -3 && ids.data<int64_t>()[2] == 7, "ids");
  check(m.at("h").dtype() == ember::Dtype::Float16 && at(m.at("h"), 0) == 0.5 && at(m.at("h"), 1) == -2.0, "h");
  check(m.at("b").dtype() == ember::Dtype::BFloat16 && at(m.at("b"), 0) == 1.5 && at(m.at("b"), 1) == -3.0, "b");
  const ember::Tensor& flags = m.at("flags");
  check(flags.dtype() == ember::Dtype::Bool && flags.data<bool>()[0] && !flags.data<bool>()[1], "flags");
  const ember::Tensor& d = m.at("d");
  check(d.dim() == 0 && d.dtype() == ember::Dtype::Float64 && d.item().to_double() == 2.25, "0-dim d");
}

void test_write_file(const std::string& path) {
  ember::TensorMap m;
  ember::Tensor a = ember::arange(0, 12, 1, ember::TensorOptions(ember::Dtype::Float64));
  m["cpp.weight"] = ember::transpose(ember::view(a, {3, 4}), 0, 1);  // non-contiguous: saved as a copy
  m["cpp.count"] = ember::full({2}, 42, ember::TensorOptions(ember::Dtype::Int32));
  m["cpp.empty"] = ember::empty({0, 5}, ember::TensorOptions(ember::Dtype::Float32));
  m["cpp.u8"] = ember::arange(250, 256, 1, ember::TensorOptions(ember::Dtype::UInt8));
  ember::save_safetensors(path, m, {{"writer", "ember c++"}, {"note", "quote\" and \\ and \n"}});
  ember::MetadataMap meta;
  ember::TensorMap back = ember::load_safetensors(path, &meta);
  check(back.size() == 4 && meta["writer"] == "ember c++" && meta["note"] == "quote\" and \\ and \n", "round trip");
  check(has_shape(back["cpp.weight"], {4, 3}) && at(back["cpp.weight"], 1) == 4.0, "transposed saved by value");
  check(has_shape(back["cpp.empty"], {0, 5}), "empty tensor");
}

template <class F> void expect_error(F f, const std::string& what) {
  bool raised = false;
  try {
    f();
  } catch (const ember::Error& e) {
    raised = std::string(e.what()).find("[ember.load_safetensors]") != std::string::npos;
    if (!raised) std::printf("  unexpected message: %s\n", e.what());
  }
  check(raised, "corrupt file raises ember::Error: " + what);
}

void test_corrupt(const std::string& good_path, const std::string& tmp) {
  std::string good = read_file(good_path);
  expect_error([&] { ember::load_safetensors(tmp + ".missing"); }, "missing file");
  auto load = [&](const std::string& bytes) {
    write_file(tmp, bytes);
    ember::load_safetensors(tmp);
  };
  expect_error([&] { load(good.substr(0, 5)); }, "shorter than 8 bytes");
  expect_error([&] { load(good.substr(0, good.size() - 3)); }, "truncated data");
  std::string huge = good;
  huge[7] = char(0x7f);
  expect_error([&] { load(huge); }, "header length past the end");
  std::string bad_json = good;
  bad_json[8] = '[';
  expect_error([&] { load(bad_json); }, "header is not an object");
  auto with_header = [](const std::string& json, size_t data_bytes) {
    std::string h = json;
    while (h.size() % 8) h += ' ';
    std::string out;
    for (int k = 0; k < 8; ++k) out += char((uint64_t(h.size()) >> (8 * k)) & 0xFF);
    return out + h + std::string(data_bytes, '\0');
  };
  expect_error([&] { load(with_header(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4)); },
               "size mismatch");
  expect_error([&] { load(with_header(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                      R"("y":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", 6)); },
               "overlapping tensors");
  expect_error([&] { load(with_header(R"({"x":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", 8)); },
               "unknown dtype");
  expect_error([&] { load(with_header(R"({"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4)); },
               "negative shape");
  expect_error([&] { load(with_header(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}})", 4)); },
               "offset overflow");
  expect_error([&] { load(with_header(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8)); },
               "trailing bytes");
  expect_error([&] { load(with_header(std::string(200, '[') + std::string(200, ']'), 0)); }, "deep nesting");
  expect_error([&] { load(with_header(R"({"x":"unterminated)", 0)); }, "unterminated string");
  ember::TensorMap ok = ember::load_safetensors_bytes(with_header("{}", 0));
  check(ok.empty(), "empty file loads");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::printf("usage: test_serialize IN OUT\n");
    return 2;
  }
  std::string in = argv[1], out = argv[2];
  try {
    test_load_python_file(in);
    test_write_file(out);
    test_corrupt(in, out + ".corrupt");
  } catch (const std::exception& e) {
    ++g_failures;
    std::printf("FAIL: raised %s\n", e.what());
  }
  std::remove((out + ".corrupt").c_str());
  std::printf("test_serialize: %d checks, %d failed\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
