// Fuzz target: the HDF5 game loader (load_affine_game) on files whose CONTENTS vary, not their
// bytes: the HDF5 library is not hardened against arbitrary corrupted files, sgda's checks of
// what a well-formed file holds are what is under test.
//
// The input describes a file; the target writes it with the HDF5 C API in memory (the core
// driver) and loads the file image from memory (load_affine_game_image): no disk per input. Every
// byte string is a description (missing bytes read as 0), so libFuzzer's byte mutations become
// changes of datasets, shapes, types, values, links and attributes.
//
//   input    = header object*
//   header   = 1 byte: bits 0-2 regularizer (1 l1, 2 box, 3 l2-ball, 4 linf-ball, 5 l1-linf,
//              else none); bit 3 after loading also compute constants(), solution() and F(x);
//              bit 4 newest file format; bit 5 truncate the written file to k/5 of its size,
//              k = 1 + bits 6-7, as a copy cut short would be
//   object   = op (byte % 8), then
//              0 dataset        name type space layout values
//              1 root attribute attr-name attribute
//              2 group          name
//              3 soft link      name target
//              4 hard link      name target
//              5 attribute of a dataset: name attr-name attribute
//              6 external link  name target   (into other.h5, a valid game next to the file)
//              7 unlink         name
//   name     = byte % 8 of M, q, x_star, workers, extra, trace, M/M, q/x
//   target   = byte % 6 of /M, /q, /nowhere, /x_star, /extra, /
//   type     = byte % 20 of f64le f64be f32le f32be i64le i64be i32le i16be u8 u32le u64le i8
//              f16 long-double vlen-string fixed-string compound{f64} array{f64,2} enum opaque
//   space    = byte % 8: 0 scalar, 1 null, 2-5 rank 1-4, 6-7 rank 3; then one byte per
//              dimension, % 16 (at most 4096 elements: the largest dimension halves until then)
//   layout   = byte % 6: contiguous, chunked, chunked+deflate, compact, contiguous never
//              written (fill value 0), chunked never written with fill value NaN
//   values   = byte % 4: 0 plausible (M diagonally dominant, q, x_star small, workers i % 2),
//              1 plausible with byte % 4 specials (u16 index, special byte), 2 raw 8-byte
//              doubles / int64s while the input lasts, 3 all one special (byte)
//   attr-name= byte % 4 of block_names, block_sizes, block_maximize, other
//   attribute= byte % 7: 0 string (variable length), 1 string (fixed length), 2 array of
//              byte % 4 strings, 3 integer array (int type byte, count byte % 6, 5 = scalar),
//              4 int64 with a null dataspace, 5 float64 array (count byte % 6), 6 int64 [2, 2];
//              a string is a length byte % 24 and its bytes, an integer one signed byte
//              (-128 INT64_MIN, 127 INT64_MAX, 126 2^40)
// tests/fuzz/make_game_seeds.py writes the seed corpus in this format.
//
// Accepted outcomes: the game loads, or an sgda::InputError of one line naming the file. Also no
// HDF5 object may stay open afterwards.
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../../io/hdf5_util.hpp"  // file_image: the bytes of a file built in memory
#include "fuzz_target.hpp"
#include "sgda/error.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/regularizer.hpp"

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxElements = 4096;

class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  bool has(std::size_t count) const { return size_ - std::min(pos_, size_) >= count; }
  void copy(void* out, std::size_t count) {
    std::memcpy(out, data_ + pos_, count);
    pos_ += count;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

const char* const kNames[] = {"M", "q", "x_star", "workers", "extra", "trace", "M/M", "q/x"};
const char* const kTargets[] = {"/M", "/q", "/nowhere", "/x_star", "/extra", "/"};
const char* const kAttributeNames[] = {"block_names", "block_sizes", "block_maximize", "other"};

double special(std::uint8_t b) {
  const double values[] = {std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           1e308,
                           -1e308,
                           std::numeric_limits<double>::denorm_min(),
                           -0.0,
                           1e-300,
                           9.3e18,  // beyond int64
                           9007199254740993.0,
                           -1.0,
                           0.0,
                           1.0,
                           2.0,
                           3.0};
  return values[b % (sizeof values / sizeof values[0])];
}

std::int64_t special_integer(std::uint8_t b) {
  const auto v = static_cast<std::int8_t>(b);
  if (v == -128) return std::numeric_limits<std::int64_t>::min();
  if (v == 127) return std::numeric_limits<std::int64_t>::max();
  if (v == 126) return std::int64_t{1} << 40;
  return v;
}

// Closes an HDF5 id of any kind when it leaves scope.
struct Id {
  hid_t id = H5I_INVALID_HID;
  Id() = default;
  explicit Id(hid_t i) : id(i) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() {
    if (id >= 0) {
      switch (H5Iget_type(id)) {
        case H5I_FILE:
          H5Fclose(id);
          break;
        case H5I_GROUP:
          H5Gclose(id);
          break;
        case H5I_DATATYPE:
          H5Tclose(id);
          break;
        case H5I_DATASPACE:
          H5Sclose(id);
          break;
        case H5I_DATASET:
          H5Dclose(id);
          break;
        case H5I_ATTR:
          H5Aclose(id);
          break;
        case H5I_GENPROP_LST:
          H5Pclose(id);
          break;
        default:
          break;
      }
    }
  }
  operator hid_t() const { return id; }
  bool ok() const { return id >= 0; }
};

enum class Family { kFloat, kInteger, kString, kOther };

struct Type {
  hid_t file = H5I_INVALID_HID;  // owned by the caller's Id
  Family family = Family::kOther;
  bool variable_string = false;
};

hid_t copy(hid_t type) { return H5Tcopy(type); }

Type make_type(std::uint8_t b) {
  Type t;
  switch (b % 20) {
    case 0:
      t = {copy(H5T_IEEE_F64LE), Family::kFloat};
      break;
    case 1:
      t = {copy(H5T_IEEE_F64BE), Family::kFloat};
      break;
    case 2:
      t = {copy(H5T_IEEE_F32LE), Family::kFloat};
      break;
    case 3:
      t = {copy(H5T_IEEE_F32BE), Family::kFloat};
      break;
    case 4:
      t = {copy(H5T_STD_I64LE), Family::kInteger};
      break;
    case 5:
      t = {copy(H5T_STD_I64BE), Family::kInteger};
      break;
    case 6:
      t = {copy(H5T_STD_I32LE), Family::kInteger};
      break;
    case 7:
      t = {copy(H5T_STD_I16BE), Family::kInteger};
      break;
    case 8:
      t = {copy(H5T_STD_U8LE), Family::kInteger};
      break;
    case 9:
      t = {copy(H5T_STD_U32LE), Family::kInteger};
      break;
    case 10:
      t = {copy(H5T_STD_U64LE), Family::kInteger};
      break;
    case 11:
      t = {copy(H5T_STD_I8LE), Family::kInteger};
      break;
    case 12: {  // IEEE half precision, as numpy's float16 writes it
      t = {copy(H5T_IEEE_F32LE), Family::kFloat};
      H5Tset_fields(t.file, 15, 10, 5, 0, 10);
      H5Tset_size(t.file, 2);
      H5Tset_ebias(t.file, 15);
      break;
    }
    case 13:
      t = {copy(H5T_NATIVE_LDOUBLE), Family::kFloat};
      break;
    case 14: {
      t = {copy(H5T_C_S1), Family::kString, true};
      H5Tset_size(t.file, H5T_VARIABLE);
      break;
    }
    case 15: {
      t = {copy(H5T_C_S1), Family::kString, false};
      H5Tset_size(t.file, 8);
      break;
    }
    case 16: {
      t = {H5Tcreate(H5T_COMPOUND, 8), Family::kOther};
      H5Tinsert(t.file, "a", 0, H5T_IEEE_F64LE);
      break;
    }
    case 17: {
      const hsize_t two = 2;
      t = {H5Tarray_create2(H5T_IEEE_F64LE, 1, &two), Family::kOther};
      break;
    }
    case 18: {
      t = {H5Tenum_create(H5T_STD_I8LE), Family::kOther};
      signed char zero = 0, one = 1;
      H5Tenum_insert(t.file, "A", &zero);
      H5Tenum_insert(t.file, "B", &one);
      break;
    }
    default:
      t = {H5Tcreate(H5T_OPAQUE, 4), Family::kOther};
      break;
  }
  return t;
}

// Plausible values: what a valid game holds at this name and shape.
std::vector<double> plausible(const std::string& name, const std::vector<hsize_t>& dims,
                              std::size_t count) {
  std::vector<double> v(count);
  for (std::size_t k = 0; k < count; ++k) {
    if (name == "M")
      v[k] = 0.01 * static_cast<double>(k % 7);
    else if (name == "q")
      v[k] = 0.5 - 0.1 * static_cast<double>(k);
    else if (name == "x_star")
      v[k] = 0.25;
    else if (name == "workers")
      v[k] = static_cast<double>(k % 2);
    else
      v[k] = static_cast<double>(k);
  }
  if (name == "M" && dims.size() == 3 && dims[1] == dims[2])
    for (hsize_t i = 0; i < dims[0]; ++i)
      for (hsize_t r = 0; r < dims[1]; ++r) v[(i * dims[1] + r) * dims[1] + r] += 2.0;
  return v;
}

std::string read_text(Bytes& in) {
  std::string s(in.byte() % 24, ' ');
  for (char& c : s) c = static_cast<char>(in.byte());
  return s;
}

// Writes `values` (doubles; integers and strings are converted) into a dataset or attribute.
void write_values(hid_t object, bool attribute, const Type& type, const std::vector<double>& values,
                  const std::vector<std::int64_t>* raw_ints) {
  if (values.empty()) return;
  auto write = [&](hid_t memory, const void* data) {
    if (attribute)
      H5Awrite(object, memory, data);
    else
      H5Dwrite(object, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  };
  switch (type.family) {
    case Family::kFloat:
      write(H5T_NATIVE_DOUBLE, values.data());
      break;
    case Family::kInteger: {
      std::vector<long long> ints(values.size());
      for (std::size_t k = 0; k < values.size(); ++k) {
        if (raw_ints) {
          ints[k] = (*raw_ints)[k];
        } else {
          const double v = values[k];
          // Out of range of long long: clamp here, the cast would be undefined.
          ints[k] = !(v == v)      ? 0
                    : v >= 9.2e18  ? std::numeric_limits<long long>::max()
                    : v <= -9.2e18 ? std::numeric_limits<long long>::min()
                                   : static_cast<long long>(v);
        }
      }
      write(H5T_NATIVE_LLONG, ints.data());
      break;
    }
    case Family::kString: {
      std::vector<std::string> texts(values.size());
      for (std::size_t k = 0; k < values.size(); ++k) texts[k] = std::to_string(values[k]);
      if (type.variable_string) {
        std::vector<const char*> pointers;
        for (const auto& s : texts) pointers.push_back(s.c_str());
        write(type.file, pointers.data());
      } else {
        const std::size_t width = H5Tget_size(type.file);
        std::vector<char> buffer(values.size() * width, '\0');
        for (std::size_t k = 0; k < texts.size(); ++k)
          std::memcpy(buffer.data() + k * width, texts[k].data(), std::min(width, texts[k].size()));
        write(type.file, buffer.data());
      }
      break;
    }
    case Family::kOther:
      break;  // left at the fill value
  }
}

// A dataset as the input describes it; read whole before anything is created, so a part HDF5
// refuses does not shift how the rest of the input is read.
struct DatasetSpec {
  std::string name;
  std::uint8_t type = 0;
  std::uint8_t space = 0;  // 0 scalar, 1 null, else simple with `dims`
  std::vector<hsize_t> dims;
  std::uint8_t layout = 0;
  std::vector<double> values;
  std::vector<std::int64_t> ints;  // raw integers (values mode 2 with an integer type)
};

DatasetSpec read_dataset(Bytes& in) {
  DatasetSpec d;
  d.name = kNames[in.byte() % 8];
  d.type = in.byte() % 20;
  d.space = in.byte() % 8;
  if (d.space >= 2) {
    const std::size_t rank = d.space <= 5 ? d.space - 1 : 3;
    for (std::size_t r = 0; r < rank; ++r) d.dims.push_back(in.byte() % 16);
    auto product = [&] {
      std::size_t p = 1;
      for (hsize_t n : d.dims) p *= n;
      return p;
    };
    while (product() > kMaxElements) *std::max_element(d.dims.begin(), d.dims.end()) /= 2;
  }
  d.layout = in.byte() % 6;
  std::size_t count = d.space == 1 ? 0 : 1;
  for (hsize_t n : d.dims) count *= n;
  d.values = plausible(d.name, d.dims, count);
  switch (in.byte() % 4) {
    case 1:
      for (int s = in.byte() % 4; s > 0; --s) {
        const std::size_t index = in.u16();
        const double value = special(in.byte());
        if (count > 0) d.values[index % count] = value;
      }
      break;
    case 2: {
      const bool integer = d.type >= 4 && d.type <= 11;
      if (integer) {
        d.ints.resize(count);
        // Elements the input does not reach stay plausible.
        for (std::size_t k = 0; k < count; ++k) d.ints[k] = static_cast<std::int64_t>(d.values[k]);
      }
      for (std::size_t k = 0; k < count && in.has(8); ++k) {
        if (integer)
          in.copy(&d.ints[k], 8);
        else
          in.copy(&d.values[k], 8);
      }
      break;
    }
    case 3:
      std::fill(d.values.begin(), d.values.end(), special(in.byte()));
      break;
    default:
      break;
  }
  return d;
}

void write_dataset(hid_t file, const DatasetSpec& d) {
  const Type type = make_type(d.type);
  const Id type_id(type.file);
  const bool chunked = d.layout == 1 || d.layout == 2 || d.layout == 5;
  Id space;
  if (d.space == 0) {
    space.id = H5Screate(H5S_SCALAR);
  } else if (d.space == 1) {
    space.id = H5Screate(H5S_NULL);
  } else {
    std::vector<hsize_t> max_dims = d.dims;
    if (chunked) std::fill(max_dims.begin(), max_dims.end(), H5S_UNLIMITED);
    space.id = H5Screate_simple(static_cast<int>(d.dims.size()), d.dims.data(), max_dims.data());
  }
  if (!space.ok()) return;
  const Id create(H5Pcreate(H5P_DATASET_CREATE));
  if (chunked && !d.dims.empty()) {
    std::vector<hsize_t> chunk(d.dims.size());
    for (std::size_t r = 0; r < d.dims.size(); ++r) chunk[r] = std::max<hsize_t>(1, d.dims[r]);
    H5Pset_chunk(create, static_cast<int>(chunk.size()), chunk.data());
    if (d.layout == 2) H5Pset_deflate(create, 1);
  }
  if (d.layout == 3) H5Pset_layout(create, H5D_COMPACT);
  if (d.layout == 5 && type.family == Family::kFloat) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    H5Pset_fill_value(create, H5T_NATIVE_DOUBLE, &nan);
  }
  const Id dataset(
      H5Dcreate2(file, d.name.c_str(), type.file, space, H5P_DEFAULT, create, H5P_DEFAULT));
  if (!dataset.ok() || d.layout == 4 || d.layout == 5) return;  // 4, 5: only the fill value
  write_values(dataset, false, type, d.values, d.ints.empty() ? nullptr : &d.ints);
}

struct AttributeSpec {
  std::string name;
  std::uint8_t kind = 0;
  std::vector<std::string> texts;  // kinds 0-2
  std::uint8_t type = 0;           // kind 3
  std::uint8_t count = 0;          // kinds 3, 5: 0-4 elements, 5 a scalar
  std::vector<std::int64_t> ints;
};

AttributeSpec read_attribute(Bytes& in) {
  AttributeSpec a;
  a.name = kAttributeNames[in.byte() % 4];
  a.kind = in.byte() % 7;
  if (a.kind <= 2) {
    a.texts.resize(a.kind == 2 ? in.byte() % 4 : 1);
    for (auto& t : a.texts) t = read_text(in);
    return a;
  }
  std::size_t count = 0;
  if (a.kind == 3 || a.kind == 5) {
    if (a.kind == 3) a.type = in.byte() % 12;
    a.count = in.byte() % 6;
    count = a.count == 5 ? 1 : a.count;
  } else if (a.kind == 6) {
    count = 4;
  }
  for (std::size_t k = 0; k < count; ++k) a.ints.push_back(special_integer(in.byte()));
  return a;
}

void write_attribute(hid_t object, const AttributeSpec& a) {
  if (H5Aexists(object, a.name.c_str()) > 0) H5Adelete(object, a.name.c_str());
  if (a.kind <= 2) {
    const Id type(H5Tcopy(H5T_C_S1));
    std::size_t width = 1;
    for (const auto& t : a.texts) width = std::max(width, t.size());
    H5Tset_size(type, a.kind == 1 ? width : H5T_VARIABLE);
    const hsize_t n = a.texts.size();
    const Id space(a.kind == 2 ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_SCALAR));
    const Id attribute(H5Acreate2(object, a.name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT));
    if (!attribute.ok() || a.texts.empty()) return;
    if (a.kind == 1) {
      std::string buffer(width, '\0');
      std::memcpy(buffer.data(), a.texts[0].data(), a.texts[0].size());
      H5Awrite(attribute, type, buffer.data());
    } else {
      std::vector<const char*> pointers;
      for (const auto& t : a.texts) pointers.push_back(t.c_str());
      H5Awrite(attribute, type, pointers.data());
    }
    return;
  }
  Type type = a.kind == 3   ? make_type(a.type)
              : a.kind == 5 ? Type{copy(H5T_IEEE_F64LE), Family::kFloat}
                            : Type{copy(H5T_STD_I64LE), Family::kInteger};
  const Id type_id(type.file);
  Id space;
  if (a.kind == 3 || a.kind == 5) {
    const hsize_t n = a.count;
    space.id = a.count == 5 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
  } else if (a.kind == 4) {
    space.id = H5Screate(H5S_NULL);
  } else {
    const hsize_t dims[2] = {2, 2};
    space.id = H5Screate_simple(2, dims, nullptr);
  }
  const Id attribute(
      H5Acreate2(object, a.name.c_str(), type.file, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute.ok()) return;
  std::vector<double> values(a.ints.begin(), a.ints.end());
  write_values(attribute, true, type, values, type.family == Family::kInteger ? &a.ints : nullptr);
}

std::string game_path() { return (fs::path(sgda::fuzz::scratch_dir()) / "game.h5").string(); }

// Writes the described file, in memory (HDF5's core driver: no disk per input), into `image`
// (its bytes, as a file on disk would hold them); returns the header byte.
std::uint8_t write_file(Bytes& in, std::vector<char>& image) {
  const std::uint8_t header = in.byte();
  const Id access(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_core(access, 1 << 16, false);
  if (header & 0x10) H5Pset_libver_bounds(access, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  const Id file(H5Fcreate(game_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access));
  if (!file.ok()) sgda::fuzz::fail("cannot create the in-memory file", game_path());
  while (!in.empty()) {
    switch (in.byte() % 8) {
      case 0:
        write_dataset(file, read_dataset(in));
        break;
      case 1:
        write_attribute(file, read_attribute(in));
        break;
      case 2:
        Id(H5Gcreate2(file, kNames[in.byte() % 8], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        break;
      case 3: {
        const char* name = kNames[in.byte() % 8];
        H5Lcreate_soft(kTargets[in.byte() % 6], file, name, H5P_DEFAULT, H5P_DEFAULT);
        break;
      }
      case 4: {
        const char* name = kNames[in.byte() % 8];
        H5Lcreate_hard(file, kTargets[in.byte() % 6], file, name, H5P_DEFAULT, H5P_DEFAULT);
        break;
      }
      case 5: {
        const char* name = kNames[in.byte() % 8];
        const AttributeSpec attribute = read_attribute(in);
        const Id object(H5Oopen(file, name, H5P_DEFAULT));
        if (object.ok()) write_attribute(object, attribute);
        break;
      }
      case 6: {
        const char* name = kNames[in.byte() % 8];
        H5Lcreate_external("other.h5", kTargets[in.byte() % 6], file, name, H5P_DEFAULT,
                           H5P_DEFAULT);
        break;
      }
      default:
        H5Ldelete(file, kNames[in.byte() % 8], H5P_DEFAULT);
        break;
    }
  }
  image = sgda::hdf5::file_image(file);
  if (image.empty()) sgda::fuzz::fail("cannot take the file image", game_path());
  return header;
}

std::shared_ptr<const sgda::Regularizer> regularizer(std::uint8_t header) {
  sgda::RegularizerOptions o;
  const char* const types[] = {"none", "l1", "box", "l2-ball", "linf-ball", "l1-linf"};
  const int pick = header & 7;
  sgda::from_string(pick < 6 ? types[pick] : "none", &o.type);
  o.lambda = 0.1;
  o.radius = 1.0;
  o.lower = -1.0;
  o.upper = 2.0;
  return sgda::make_regularizer(o);
}

void truncate(std::vector<char>& image, std::uint8_t header) {
  image.resize(image.size() * (1 + (header >> 6)) / 5);
}

// Open files, datasets, groups and attributes of any file. (Not datatypes: the HDF5 C++ API
// keeps its predefined types open for the whole process.)
ssize_t open_objects() {
  return H5Fget_obj_count(H5F_OBJ_ALL,
                          H5F_OBJ_FILE | H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_ATTR);
}

// Names the open objects, for the failure message.
std::string describe_open_objects() {
  const unsigned types = H5F_OBJ_FILE | H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_ATTR;
  std::vector<hid_t> ids(static_cast<std::size_t>(std::max<ssize_t>(open_objects(), 0)));
  const ssize_t count = H5Fget_obj_ids(H5F_OBJ_ALL, types, ids.size(), ids.data());
  std::string out;
  for (ssize_t k = 0; k < count; ++k) {
    char name[256] = "";
    H5Iget_name(ids[static_cast<std::size_t>(k)], name, sizeof name);
    char file[256] = "";
    H5Fget_name(ids[static_cast<std::size_t>(k)], file, sizeof file);
    out += std::string(k ? "; " : "") + "type " +
           std::to_string(static_cast<int>(H5Iget_type(ids[static_cast<std::size_t>(k)]))) + " " +
           file + ":" + name;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become InputErrors, not printouts
  sgda::QuadraticGameOptions options;
  options.samples = 3;
  options.dimension = 2;
  const fs::path other = fs::path(sgda::fuzz::scratch_dir()) / "other.h5";
  sgda::save_affine_game(other.string(), sgda::generate_quadratic_game(options));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  std::vector<char> image;
  const std::uint8_t header = write_file(in, image);
  if (open_objects() != 0)
    sgda::fuzz::fail("the fuzz target left HDF5 objects open", describe_open_objects());
  const std::string path = game_path();  // the image's name: external links resolve beside it
  if (header & 0x20) truncate(image, header);

  try {
    const sgda::AffineGame game =
        sgda::load_affine_game_image(path, image.data(), image.size(), regularizer(header));
    if (header & 0x08) {
      game.constants();
      game.solution();
      sgda::Vector out(game.dim());
      game.full(sgda::Vector::Ones(game.dim()), out);
    }
    sgda::fuzz::note("loaded: n = " + std::to_string(game.num_samples()) +
                     ", D = " + std::to_string(game.dim()) + ", " +
                     std::to_string(game.blocks().size()) + " blocks");
  } catch (const sgda::InputError& e) {
    const std::string message = e.what();
    sgda::fuzz::note(message);
    sgda::fuzz::check_one_line(message);
    if (message.find(path) == std::string::npos)
      sgda::fuzz::fail("InputError not naming the file", message);
  }
  if (open_objects() != 0)
    sgda::fuzz::fail("load_affine_game left HDF5 objects open", describe_open_objects());
  return 0;
}
