#include "hdf5_util.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <stdexcept>
#include <thread>
#include <utility>

#include "sgda/io/files.hpp"

namespace sgda::hdf5 {
namespace {

// HDF5 prints its error stack to stderr by default; we report through InputError instead.
void quiet() { H5::Exception::dontPrint(); }

// The innermost entry of HDF5's error stack, e.g. "truncated file: eof = 512, ...", which says
// more than the C++ API's "H5Fopen failed"; "" once a later HDF5 call has cleared the stack.
std::string innermost_error() {
  std::string found;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* entry, void* out) -> herr_t {
        if (n == 0 && entry->desc) *static_cast<std::string*>(out) = entry->desc;
        return 0;
      },
      &found);
  return found;
}

std::string detail(const H5::Exception& e) {
  std::string text = e.getFuncName();
  const std::string message = e.getDetailMsg();
  if (!message.empty()) text += (text.empty() ? "" : ": ") + message;
  const std::string cause = innermost_error();
  if (!cause.empty() && text.find(cause) == std::string::npos)
    text += (text.empty() ? "" : ": ") + cause;
  return text.empty() ? "HDF5 error" : text;
}

std::string describe_type(hid_t type) {
  const std::string bits = std::to_string(8 * H5Tget_size(type));
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      return "float" + bits;
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_REFERENCE:
      return "reference";
    default:
      return "unknown type";
  }
}

enum class Kind { kFloat64, kInt64 };

// Types HDF5 converts to the memory type without loss.
bool converts_exactly(Kind kind, hid_t type) {
  const H5T_class_t type_class = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (kind == Kind::kFloat64) return type_class == H5T_FLOAT && size <= 8;
  if (type_class != H5T_INTEGER) return false;
  return H5Tget_sign(type) == H5T_SGN_NONE ? size < 8 : size <= 8;
}

const H5::PredType& memory_type(Kind kind) {
  return kind == Kind::kFloat64 ? H5::PredType::NATIVE_DOUBLE : H5::PredType::NATIVE_INT64;
}

// Number of elements, or false on overflow.
bool element_count(const Shape& shape, std::size_t element_size, std::size_t* count) {
  std::size_t total = 1;
  for (hsize_t extent : shape) {
    if (extent != 0 && total > std::numeric_limits<std::size_t>::max() / element_size / extent)
      return false;
    total *= static_cast<std::size_t>(extent);
  }
  *count = total;
  return true;
}

Shape extent_of(const H5::DataSpace& space) {
  const int rank = space.getSimpleExtentNdims();
  Shape shape(static_cast<std::size_t>(rank));
  if (rank > 0) space.getSimpleExtentDims(shape.data());
  return shape;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

// The dataset `name` of the given rank and a type that converts exactly to `kind`, of at most
// kMaxValues values in `rows` (with `per_slice`, in each slice [i, ...]); its whole shape in
// `shape`. InputError naming it otherwise. Call within a try that turns H5::Exception into an
// InputError.
H5::DataSet open_checked(const Reader& reader, const H5::H5File& file, const std::string& name,
                         std::size_t rank, const std::string& accepted, Kind kind,
                         std::size_t element_size, Shape& shape, const Rows& rows = {},
                         bool per_slice = false) {
  if (!reader.has(name)) throw reader.error(name, "missing dataset; accepted " + accepted);
  if (file.childObjType(name) != H5O_TYPE_DATASET)
    throw reader.error(name, "is not a dataset; accepted " + accepted);
  H5::DataSet dataset = file.openDataSet(name);
  const H5::DataType type = dataset.getDataType();
  const H5::DataSpace space = dataset.getSpace();
  if (space.getSimpleExtentType() == H5S_NULL)
    throw reader.error(name, "has an empty (null) dataspace; accepted " + accepted);
  shape = extent_of(space);
  const std::string found = describe_type(type.getId()) + " " + format_shape(shape);
  if (!converts_exactly(kind, type.getId()))
    throw reader.error(name, "has type " + found + "; accepted " + accepted);
  if (shape.size() != rank)
    throw reader.error(name, "has rank " + std::to_string(shape.size()) + " (" + found +
                                 "); accepted " + accepted);
  Shape read = shape;
  if (rows.count) {
    if (rank == 0 || rows.first > shape[0] || *rows.count > shape[0] - rows.first)
      throw reader.error(name, "has shape " + format_shape(shape) + ", without the rows " +
                                   std::to_string(rows.first) + ".." +
                                   std::to_string(rows.first + *rows.count) +
                                   " asked for; accepted " + accepted);
    read[0] = *rows.count;
  }
  if (per_slice && !read.empty()) read[0] = 1;
  std::size_t count = 0;
  // Refused before allocating: a chunked dataset declares any shape at no cost on disk.
  if (!element_count(read, element_size, &count) || count > kMaxValues)
    throw reader.error(name, "has shape " + format_shape(shape) +
                                 ", more than the 1e9 values (8 GB) " +
                                 (rows.count ? "in the rows this process reads " : "") +
                                 "sgda loads; accepted " + accepted);
  return dataset;
}

template <class T>
Array<T> read_array(const Reader& reader, const H5::H5File& file, const std::string& name,
                    std::size_t rank, const std::string& accepted, Kind kind, const Rows& rows) {
  try {
    Array<T> array;
    const H5::DataSet dataset =
        open_checked(reader, file, name, rank, accepted, kind, sizeof(T), array.shape, rows);
    if (rows.count) array.shape[0] = *rows.count;
    std::size_t count = 0;
    element_count(array.shape, sizeof(T), &count);
    array.values.resize(count);
    if (count == 0) return array;
    if (!rows.count) {
      dataset.read(array.values.data(), memory_type(kind));
      return array;
    }
    H5::DataSpace file_space = dataset.getSpace();
    Shape start(rank, 0);
    start[0] = rows.first;
    file_space.selectHyperslab(H5S_SELECT_SET, array.shape.data(), start.data());
    const H5::DataSpace memory(static_cast<int>(rank), array.shape.data());
    dataset.read(array.values.data(), memory_type(kind), memory, file_space);
    return array;
  } catch (const H5::Exception& e) {
    throw reader.error(name, "cannot read (" + detail(e) + "); accepted " + accepted);
  } catch (const std::bad_alloc&) {
    throw reader.error(name, "too large to load into memory; accepted " + accepted);
  } catch (const std::length_error&) {
    throw reader.error(name, "too large to load into memory; accepted " + accepted);
  }
}

// Whether another open file holds a lock on `path` that excludes ours (`exclusive`: to write).
// HDF5 locks every file it opens (flock: shared to read, exclusive to write), and fails an open
// that conflicts instead of waiting.
bool locked_by_another(const std::string& path, bool exclusive) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  const bool locked =
      ::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the lock if it was taken
  return locked;
}

// `open()`, retried while another process holds `path` open in a conflicting way (a runs file
// that sgda experiment appends to for a few milliseconds, a reader that sgda experiment must
// wait for), for at most `patience`. Returns whether it gave up on such a lock.
template <class Open>
bool open_waiting(const std::string& path, bool exclusive, std::chrono::seconds patience,
                  Open&& open) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    try {
      open();
      return false;
    } catch (const H5::Exception&) {
      if (!locked_by_another(path, exclusive)) throw;
      if (std::chrono::steady_clock::now() >= deadline) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

H5::H5File open_file(const Reader& reader) {
  const std::string& path = reader.path();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status))
    throw reader.error("", "no such file; accepted the path of an existing HDF5 file");
  if (std::filesystem::is_directory(status))
    throw reader.error("", "is a directory; accepted the path of an HDF5 file");
  // FIFOs and devices are refused before HDF5 opens them (opening a FIFO would block).
  check_input_file(path, path, "the path of an HDF5 file");
  try {
    if (!H5::H5File::isHdf5(path))
      throw reader.error("", "not an HDF5 file; accepted an HDF5 file (check it with h5dump)");
    H5::H5File file;
    // A runs file that sgda experiment is appending to is locked for a few milliseconds.
    if (open_waiting(path, false, std::chrono::seconds(10),
                     [&] { file = H5::H5File(path, H5F_ACC_RDONLY); }))
      throw reader.error("",
                         "is being written by another program (HDF5's lock on it) for more "
                         "than 10 s; accepted a file that no program is writing");
    return file;
  } catch (const H5::Exception& e) {
    throw reader.error("", "cannot open (" + detail(e) + "); accepted a readable HDF5 file");
  }
}

// The file is built in memory (HDF5's core driver, no backing store) and written to disk by
// Writer::close() in one go: HDF5 never meets a full disk, whose write errors in its metadata
// cache and in H5Dclose/H5Fclose leave freed objects behind live ids (a crash at the next close).
// With in_memory false, HDF5's default driver writes the file itself: only for a file whose
// space is reserved on disk before anything is written (Writer's constructor with a reservation).
std::unique_ptr<H5::H5File> create_file(const std::string& file, const std::string& shown_path,
                                        bool in_memory = true) {
  try {
    // 1.8 object headers store many or long attributes densely instead of failing at 64 KiB.
    H5::FileAccPropList access;
    access.setLibverBounds(H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    if (in_memory && H5Pset_fapl_core(access.getId(), 1 << 20, false) < 0)
      throw input_error(shown_path, "", "cannot set up HDF5's in-memory file driver");
    return std::make_unique<H5::H5File>(file, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT,
                                        access);
  } catch (const H5::Exception& e) {
    throw input_error(shown_path, "",
                      "cannot create " + file + " (" + detail(e) +
                          "); accepted a path in an existing, writable directory");
  }
}

// Gives back what a reservation left past the end of `file`: a truncation to its own size frees
// such blocks on ext4 and XFS, punching a hole there on tmpfs. Failures are ignored (the file is
// intact either way).
void release_reservation(const std::string& file, std::uint64_t bytes) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    static_cast<void>(::ftruncate(fd, st.st_size));
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < bytes)
      static_cast<void>(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size,
                                    static_cast<off_t>(bytes - size)));
  }
  ::close(fd);
}

// Allocates `bytes` of disk space for `file` from offset 0 without changing its size (blocks past
// the end are written by HDF5 later without meeting a full disk). Returns 0 or the errno; on
// failure nothing stays allocated.
int reserve_space(const std::string& file, std::uint64_t bytes) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno;
  int code = 0;
  while (::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)) != 0) {
    if (errno == EINTR) continue;
    code = errno;
    break;
  }
  ::close(fd);
  if (code != 0) release_reservation(file, bytes);  // a partial allocation
  return code;
}

// Bob Jenkins' lookup3 hash (hashlittle), the checksum of HDF5's metadata.
std::uint32_t lookup3(const unsigned char* k, std::size_t length) {
  auto rot = [](std::uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  auto word = [](const unsigned char* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
           std::uint32_t(p[3]) << 24;
  };
  std::uint32_t a, b, c;
  a = b = c = 0xdeadbeefu + static_cast<std::uint32_t>(length);
  for (; length > 12; length -= 12, k += 12) {
    a += word(k), b += word(k + 4), c += word(k + 8);
    a -= c, a ^= rot(c, 4), c += b, b -= a, b ^= rot(a, 6), a += c, c -= b, c ^= rot(b, 8);
    b += a, a -= c, a ^= rot(c, 16), c += b, b -= a, b ^= rot(a, 19), a += c, c -= b;
    c ^= rot(b, 4), b += a;
  }
  if (length == 0) return c;
  unsigned char tail[12] = {};  // zero bytes add nothing: the short final block, padded
  std::copy(k, k + length, tail);
  a += word(tail), b += word(tail + 4), c += word(tail + 8);
  c ^= b, c -= rot(b, 14), a ^= c, a -= rot(c, 11), b ^= a, b -= rot(a, 25), c ^= b;
  c -= rot(b, 16), a ^= c, a -= rot(c, 4), b ^= a, b -= rot(a, 14), c ^= b, c -= rot(b, 24);
  return c;
}

// H5Fget_file_image of HDF5 1.10.8 clears the superblock's status flags (the file is open for
// writing) without updating the checksum of a version 2 or 3 superblock, which makes the image
// unreadable; later versions recompute it, as this does.
void fix_superblock_checksum(char* image, std::size_t size) {
  auto* bytes = reinterpret_cast<unsigned char*>(image);
  static const unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (size < 12 || !std::equal(kSignature, kSignature + 8, bytes)) return;
  if (bytes[8] != 2 && bytes[8] != 3) return;
  const std::size_t covered = 12 + 4 * std::size_t(bytes[9]);  // four addresses
  if (size < covered + 4) return;
  const std::uint32_t sum = lookup3(bytes, covered);
  for (int i = 0; i < 4; ++i) bytes[covered + i] = static_cast<unsigned char>(sum >> (8 * i));
}

}  // namespace

std::string format_shape(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// ---- Reader ---------------------------------------------------------------------------------

Reader::Reader(std::string path) : path_(std::move(path)) {
  quiet();
  file_ = open_file(*this);
}

Reader::Reader(std::string path, const void* data, std::size_t size) : path_(std::move(path)) {
  quiet();
  try {
    H5::FileAccPropList access;
    if (H5Pset_fapl_core(access.getId(), 1 << 20, false) < 0 ||
        H5Pset_file_image(access.getId(), const_cast<void*>(data), size) < 0)
      throw error("", "cannot open the file image (" + innermost_error() +
                          "); accepted an HDF5 file image");
    file_ = H5::H5File(path_, H5F_ACC_RDONLY, H5::FileCreatPropList::DEFAULT, access);
  } catch (const H5::Exception& e) {
    throw error("", "cannot open (" + detail(e) + "); accepted a readable HDF5 file");
  }
}

InputError Reader::error(const std::string& field, const std::string& problem) const {
  return input_error(path_, field, problem);
}

bool Reader::has(const std::string& name) const {
  try {
    // H5Lexists fails rather than answering false when an intermediate group is missing.
    std::size_t start = name.starts_with('/') ? 1 : 0;
    while (start <= name.size()) {
      std::size_t end = name.find('/', start);
      if (end == std::string::npos) end = name.size();
      const std::string prefix = name.substr(0, end);
      if (!file_.nameExists(prefix)) return false;
      if (end == name.size()) return true;
      if (file_.childObjType(prefix) != H5O_TYPE_GROUP) return false;
      start = end + 1;
    }
    return true;
  } catch (const H5::Exception& e) {
    throw error(name, "cannot look up (" + detail(e) + "); accepted a readable HDF5 file");
  }
}

Array<double> Reader::read_float64(const std::string& name, std::size_t rank,
                                   const std::string& accepted, const Rows& rows) const {
  return read_array<double>(*this, file_, name, rank, accepted, Kind::kFloat64, rows);
}

Shape Reader::read_float64_slices(const std::string& name, std::size_t rank,
                                  const std::string& accepted,
                                  const std::function<void(const Shape&)>& check_shape,
                                  const std::function<void(hsize_t, const Array<double>&)>& each,
                                  const std::function<bool(hsize_t)>& wanted) const {
  try {
    Shape shape;
    const H5::DataSet dataset = open_checked(*this, file_, name, rank, accepted, Kind::kFloat64,
                                             sizeof(double), shape, {}, true);
    check_shape(shape);
    Array<double> slice;
    slice.shape.assign(shape.begin() + 1, shape.end());
    std::size_t count = 0;
    element_count(slice.shape, sizeof(double), &count);
    slice.values.resize(count);
    if (count == 0) return shape;
    const H5::DataSpace file_space = dataset.getSpace();
    Shape start(rank, 0), extent = shape;
    extent[0] = 1;
    const H5::DataSpace memory(static_cast<int>(slice.shape.size()), slice.shape.data());
    for (hsize_t i = 0; i < shape[0]; ++i) {
      if (wanted && !wanted(i)) continue;
      start[0] = i;
      file_space.selectHyperslab(H5S_SELECT_SET, extent.data(), start.data());
      dataset.read(slice.values.data(), memory_type(Kind::kFloat64), memory, file_space);
      each(i, slice);
    }
    return shape;
  } catch (const H5::Exception& e) {
    throw error(name, "cannot read (" + detail(e) + "); accepted " + accepted);
  } catch (const std::bad_alloc&) {
    throw error(name, "too large to load into memory; accepted " + accepted);
  }
}

Array<std::int64_t> Reader::read_int64(const std::string& name, std::size_t rank,
                                       const std::string& accepted, const Rows& rows) const {
  return read_array<std::int64_t>(*this, file_, name, rank, accepted, Kind::kInt64, rows);
}

bool Reader::is_integer(const std::string& name) const {
  if (!has(name)) throw error(name, "missing dataset");
  try {
    return file_.openDataSet(name).getDataType().getClass() == H5T_INTEGER;
  } catch (const H5::Exception& e) {
    throw error(name, "cannot read (" + detail(e) + "); accepted a dataset");
  }
}

std::size_t Reader::rank_of(const std::string& name) const { return shape_of(name).size(); }

Shape Reader::shape_of(const std::string& name) const {
  if (!has(name)) throw error(name, "missing dataset");
  try {
    return extent_of(file_.openDataSet(name).getSpace());
  } catch (const H5::Exception& e) {
    throw error(name, "cannot read (" + detail(e) + "); accepted a dataset");
  }
}

void Reader::require_shape(const std::string& name, const Shape& actual, const Shape& expected,
                           const std::string& accepted) const {
  if (actual != expected)
    throw error(name, "has shape " + format_shape(actual) + ", expected " + format_shape(expected) +
                          "; accepted " + accepted);
}

void Reader::require_finite(const std::string& name, const Array<double>& array,
                            const Shape& leading) const {
  for (std::size_t k = 0; k < array.values.size(); ++k) {
    if (std::isfinite(array.values[k])) continue;
    // Unravel the row-major index so users can find the entry (h5py, h5dump use the same order).
    Shape index(array.shape.size());
    std::size_t rest = k;
    for (std::size_t axis = array.shape.size(); axis-- > 0;) {
      index[axis] = rest % array.shape[axis];
      rest /= array.shape[axis];
    }
    index.insert(index.begin(), leading.begin(), leading.end());
    throw error(name, "has " + format_value(array.values[k]) + " at index " + format_shape(index) +
                          "; accepted finite float64 values only");
  }
}

std::vector<std::string> Reader::dataset_names(const std::string& group) const {
  if (!has(group)) throw error(group, "missing; accepted a group of datasets");
  try {
    const H5::Group g = file_.openGroup(group);
    std::vector<std::string> names;
    for (hsize_t i = 0; i < g.getNumObjs(); ++i)
      if (g.getObjTypeByIdx(i) == H5G_DATASET) names.push_back(g.getObjnameByIdx(i));
    return names;
  } catch (const H5::Exception& e) {
    throw error(group, "cannot list (" + detail(e) + "); accepted a group of datasets");
  }
}

std::vector<std::string> Reader::attribute_names() const {
  try {
    std::vector<std::string> names;
    const int count = file_.getNumAttrs();
    for (int i = 0; i < count; ++i)
      names.push_back(file_.openAttribute(static_cast<unsigned>(i)).getName());
    return names;
  } catch (const H5::Exception& e) {
    throw error(
        "", "cannot list the root attributes (" + detail(e) + "); accepted a readable HDF5 file");
  }
}

bool Reader::has_attribute(const std::string& name) const {
  try {
    return file_.attrExists(name);
  } catch (const H5::Exception& e) {
    throw error(name,
                "cannot look up the attribute (" + detail(e) + "); accepted a readable HDF5 file");
  }
}

bool Reader::is_string_attribute(const std::string& name) const {
  try {
    return file_.openAttribute(name).getTypeClass() == H5T_STRING;
  } catch (const H5::Exception& e) {
    throw error(name,
                "cannot open the attribute (" + detail(e) + "); accepted a readable HDF5 file");
  }
}

std::string Reader::read_string_attribute(const std::string& name) const {
  const std::string accepted = "; accepted one string (variable or fixed length)";
  if (!has_attribute(name)) throw error(name, "missing attribute" + accepted);
  try {
    const H5::Attribute attribute = file_.openAttribute(name);
    if (attribute.getTypeClass() != H5T_STRING)
      throw error(name, "has type " + describe_type(attribute.getDataType().getId()) + accepted);
    const hssize_t count = attribute.getSpace().getSimpleExtentNpoints();
    // Reading several strings into one would overrun the buffer HDF5 writes into.
    if (count != 1) throw error(name, "holds " + std::to_string(count) + " strings" + accepted);
    std::string value;
    attribute.read(attribute.getStrType(), value);
    return value;
  } catch (const H5::Exception& e) {
    throw error(name, "cannot read the attribute (" + detail(e) + ")" + accepted);
  }
}

std::vector<std::int64_t> Reader::read_int64_attribute(const std::string& name) const {
  const std::string accepted = "; accepted a one-dimensional int64 array";
  if (!has_attribute(name)) throw error(name, "missing attribute" + accepted);
  try {
    const H5::Attribute attribute = file_.openAttribute(name);
    const H5::DataType type = attribute.getDataType();
    if (!converts_exactly(Kind::kInt64, type.getId()))
      throw error(name, "has type " + describe_type(type.getId()) + accepted);
    if (attribute.getSpace().getSimpleExtentNdims() > 1)
      throw error(name, "has shape " + format_shape(extent_of(attribute.getSpace())) + accepted);
    const hssize_t count = attribute.getSpace().getSimpleExtentNpoints();
    std::vector<std::int64_t> values(static_cast<std::size_t>(count));
    if (count > 0) attribute.read(H5::PredType::NATIVE_INT64, values.data());
    return values;
  } catch (const H5::Exception& e) {
    throw error(name, "cannot read the attribute (" + detail(e) + ")" + accepted);
  }
}

// ---- Writer ---------------------------------------------------------------------------------

namespace {

void write_dataset(Writer& writer, H5::H5File& file, const std::string& name, const Shape& shape,
                   const void* data, const H5::PredType& file_type,
                   const H5::PredType& memory_type) {
  try {
    const H5::DataSpace space = shape.empty()
                                    ? H5::DataSpace(H5S_SCALAR)
                                    : H5::DataSpace(static_cast<int>(shape.size()), shape.data());
    const H5::DataSet dataset = file.createDataSet(name, file_type, space);
    std::size_t count = 0;
    // HDF5 rejects a null buffer even for zero elements; there is nothing to write then.
    if (element_count(shape, 8, &count) && count > 0) dataset.write(data, memory_type);
  } catch (const H5::Exception& e) {
    throw writer.error(name, "cannot write the dataset (" + detail(e) +
                                 "); accepted a writable file with free space");
  }
}

}  // namespace

Writer::Writer(const std::string& file, std::string shown_path)
    : Writer(file, std::move(shown_path), Mode::kNew) {}

Writer::Writer(const std::string& file, std::string shown_path, Mode mode)
    : file_path_(file), shown_path_(std::move(shown_path)), mode_(mode) {
  quiet();
  if (mode == Mode::kNew) {
    file_ = create_file(file, shown_path_);
    return;
  }
  try {
    // The bounds of create_file, so that added objects have the same layout as written ones.
    H5::FileAccPropList access;
    access.setLibverBounds(H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    // A reader (sgda report, h5py) holding the file open locks it: wait for it.
    if (open_waiting(file, true, std::chrono::seconds(60), [&] {
          file_ = std::make_unique<H5::H5File>(file, H5F_ACC_RDWR, H5::FileCreatPropList::DEFAULT,
                                               access);
        }))
      throw input_error(shown_path_, "",
                        "is open in another program (HDF5's lock on it) for more than 60 s; "
                        "accepted a file that no other program holds open (close it, then run "
                        "the same command again)");
  } catch (const H5::Exception& e) {
    throw input_error(shown_path_, "",
                      "cannot open for writing (" + detail(e) +
                          "); accepted a writable HDF5 file written by sgda");
  }
}

Writer::Writer(const std::string& file, std::string shown_path, std::uint64_t reserve)
    : file_path_(file), shown_path_(std::move(shown_path)), mode_(Mode::kNew) {
  quiet();
  if (reserve > 0) {
    file_ = create_file(file, shown_path_, false);
    const int code = reserve_space(file, reserve);
    if (code == 0) {
      reserved_ = reserve;
      return;
    }
    abandon();  // an empty file: nothing of it is kept
    if (code == ENOSPC || code == EDQUOT)
      throw input_error(shown_path_, "",
                        "cannot write " + file +
                            " (disk full: ENOSPC, no space left on device); accepted a writable "
                            "path in a folder with free space");
    if (code == EFBIG)
      throw input_error(shown_path_, "",
                        "cannot write " + file + " (" + std::to_string(reserve) +
                            " bytes: EFBIG, larger than this file system's largest file); "
                            "accepted a path on a file system that holds it");
  }
  file_ = create_file(file, shown_path_);  // no reservation here: in memory
}

Writer::~Writer() { abandon(); }

void Writer::abandon() noexcept {
  if (!file_) return;
  // In memory: closing cannot meet a full disk. Should it fail anyway, HDF5 has freed the file
  // but kept its id, and closing that id again (as ~H5File would) crashes in H5F__close: the
  // small C++ object is then left alone.
  if (H5Fclose(file_->getId()) >= 0)
    file_.reset();  // the C++ object sees an invalid id and does not close it again
  else
    static_cast<void>(file_.release());
}

InputError Writer::error(const std::string& field, const std::string& problem) const {
  return input_error(shown_path_, field, problem);
}

void Writer::create_group(const std::string& name) {
  try {
    file_->createGroup(name);
  } catch (const H5::Exception& e) {
    throw error(name, "cannot create the group (" + detail(e) +
                          "); accepted a writable file with free space");
  }
}

void Writer::write_float64(const std::string& name, const Shape& shape, const double* data) {
  write_dataset(*this, *file_, name, shape, data, H5::PredType::IEEE_F64LE,
                H5::PredType::NATIVE_DOUBLE);
}

void Writer::write_float64_slices(const std::string& name, const Shape& shape,
                                  const std::function<void(hsize_t, double*)>& fill) {
  try {
    const H5::DataSpace file_space(static_cast<int>(shape.size()), shape.data());
    const H5::DataSet dataset = file_->createDataSet(name, H5::PredType::IEEE_F64LE, file_space);
    const Shape slice_shape(shape.begin() + 1, shape.end());
    std::size_t count = 0;
    if (shape.empty() || !element_count(slice_shape, sizeof(double), &count) || count == 0) return;
    std::vector<double> buffer(count);
    const H5::DataSpace memory(static_cast<int>(slice_shape.size()), slice_shape.data());
    Shape start(shape.size(), 0), extent = shape;
    extent[0] = 1;
    for (hsize_t i = 0; i < shape[0]; ++i) {
      fill(i, buffer.data());
      start[0] = i;
      file_space.selectHyperslab(H5S_SELECT_SET, extent.data(), start.data());
      dataset.write(buffer.data(), H5::PredType::NATIVE_DOUBLE, memory, file_space);
    }
  } catch (const H5::Exception& e) {
    throw error(name, "cannot write the dataset (" + detail(e) +
                          "); accepted a writable file with free space");
  }
}

void Writer::write_int64(const std::string& name, const Shape& shape, const std::int64_t* data) {
  write_dataset(*this, *file_, name, shape, data, H5::PredType::STD_I64LE,
                H5::PredType::NATIVE_INT64);
}

void Writer::write_string_attribute(const std::string& name, const std::string& value) {
  try {
    // Variable-length UTF-8: what h5py writes for str, and read back by it as str.
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    if (mode_ == Mode::kInPlace && file_->attrExists(name)) file_->removeAttr(name);  // replaced
    const H5::Attribute attribute = file_->createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
    attribute.write(type, value);
  } catch (const H5::Exception& e) {
    throw error(name, "cannot write the string attribute (" + detail(e) +
                          "); accepted a non-empty attribute name and a writable file");
  }
}

void Writer::write_int64_attribute(const std::string& name,
                                   const std::vector<std::int64_t>& values) {
  try {
    const hsize_t size = values.size();
    const H5::Attribute attribute =
        file_->createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(1, &size));
    if (!values.empty()) attribute.write(H5::PredType::NATIVE_INT64, values.data());
  } catch (const H5::Exception& e) {
    throw error(name, "cannot write the int64 attribute (" + detail(e) +
                          "); accepted a non-empty attribute name and a writable file");
  }
}

std::vector<char> file_image(hid_t file) {
  if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) return {};
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size < 0) return {};
  std::vector<char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file, image.data(), image.size()) != size) return {};
  fix_superblock_checksum(image.data(), image.size());
  return image;
}

void Writer::close() {
  if (!file_) return;
  if (mode_ == Mode::kInPlace) {
    const bool flushed = H5Fflush(file_->getId(), H5F_SCOPE_GLOBAL) >= 0;
    const std::string cause = flushed ? "" : innermost_error();
    abandon();
    if (!flushed)
      throw error("", "cannot finish writing in place (" + (cause.empty() ? "HDF5 error" : cause) +
                          "); accepted a writable file with free space");
    return;
  }
  if (reserved_ > 0) {
    // Written to disk by HDF5 into the space reserved for it.
    const hid_t id = file_->getId();
    const bool flushed = H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0;
    std::string cause = flushed ? "" : innermost_error();
    const bool closed = H5Fclose(id) >= 0;
    if (closed)
      file_.reset();  // as in abandon(): the C++ object sees an invalid id
    else
      static_cast<void>(file_.release());
    if (cause.empty() && !closed) cause = innermost_error();
    release_reservation(file_path_, reserved_);
    if (!flushed || !closed)
      throw error("", "cannot finish writing (" + (cause.empty() ? "HDF5 error" : cause) +
                          "); accepted a writable file with free space");
    return;
  }
  // The in-memory file's image goes straight into the new file's pages (a game of gigabytes is
  // not copied into a buffer first).
  const hid_t id = file_->getId();
  const ssize_t size = H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 ? -1 : H5Fget_file_image(id, nullptr, 0);
  const bool written =
      size > 0 && write_new_file(
                      file_path_, static_cast<std::size_t>(size),
                      [&](char* image) {
                        if (H5Fget_file_image(id, image, std::size_t(size)) != size) return false;
                        fix_superblock_checksum(image, std::size_t(size));
                        return true;
                      },
                      shown_path_);
  const std::string cause = written ? "" : innermost_error();
  abandon();
  if (!written)
    throw error("", "cannot finish writing (" + (cause.empty() ? "HDF5 error" : cause) +
                        "); accepted a writable file with free space");
}

void write_atomically(const std::string& path, const std::function<void(Writer&)>& write) {
  write_atomically(path, 0, write);
}

void write_atomically(const std::string& path, std::uint64_t expected_bytes,
                      const std::function<void(Writer&)>& write) {
  // Checked here so the message names the directory rather than the temporary file.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
    throw input_error(path, "",
                      "no such directory " + parent.string() +
                          "; accepted a path in an existing, writable directory");
  // A device, FIFO or socket at `path` would be replaced by a regular file: refused.
  check_output_file(path, path, true, {}, "");
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  try {
    // Large files straight to disk: an in-memory image of gigabytes costs its page faults and a
    // copy. The reservation adds room for HDF5's metadata to the data's size.
    constexpr std::uint64_t kDirect = std::uint64_t(64) << 20, kMetadata = std::uint64_t(1) << 20;
    Writer writer(temporary, path, expected_bytes >= kDirect ? expected_bytes + kMetadata : 0);
    write(writer);
    writer.close();
  } catch (const H5::Exception& e) {
    std::remove(temporary.c_str());
    throw input_error(
        path, "",
        "cannot write (" + detail(e) + "); accepted a path in an existing, writable directory");
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int code = errno;
    std::remove(temporary.c_str());
    throw input_error(path, "",
                      "cannot move " + temporary + " into place (" + std::strerror(code) +
                          "); accepted a writable path that is not a directory");
  }
}

// ---- Groups of several objects (experiment runs files) --------------------------------------

std::vector<std::string> Reader::group_names(const std::string& group) const {
  if (!has(group)) throw error(group, "missing; accepted a group of groups");
  try {
    const H5::Group g = file_.openGroup(group);
    std::vector<std::string> names;
    for (hsize_t i = 0; i < g.getNumObjs(); ++i)
      if (g.getObjTypeByIdx(i) == H5G_GROUP) names.push_back(g.getObjnameByIdx(i));
    return names;
  } catch (const H5::Exception& e) {
    throw error(group, "cannot list (" + detail(e) + "); accepted a group of groups");
  }
}

std::map<std::string, std::string> Reader::string_attributes(const std::string& object) const {
  const std::string accepted = "; accepted a group with string attributes";
  if (!has(object)) throw error(object, "missing" + accepted);
  std::string name;
  try {
    const H5::Group g = file_.openGroup(object);
    std::map<std::string, std::string> values;
    for (int i = 0; i < g.getNumAttrs(); ++i) {
      const H5::Attribute attribute = g.openAttribute(static_cast<unsigned>(i));
      name = attribute.getName();
      if (attribute.getTypeClass() != H5T_STRING ||
          attribute.getSpace().getSimpleExtentNpoints() != 1)
        continue;  // other tools may add attributes of other types
      attribute.read(attribute.getStrType(), values[name]);
    }
    return values;
  } catch (const H5::Exception& e) {
    throw error(object + (name.empty() ? "" : " attribute " + name),
                "cannot read (" + detail(e) + ")" + accepted);
  }
}

void Writer::write_string_attribute(const std::string& object, const std::string& name,
                                    const std::string& value) {
  try {
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    const H5::Group g = file_->openGroup(object);
    g.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
  } catch (const H5::Exception& e) {
    throw error(object + " attribute " + name,
                "cannot write the string attribute (" + detail(e) +
                    "); accepted a non-empty attribute name and a writable file");
  }
}

namespace {

// Reads the one number of attribute `name` of group `object` as `kind`.
template <class T>
T read_number_attribute(const Reader& reader, const H5::H5File& file, const std::string& object,
                        const std::string& name, Kind kind) {
  const std::string field = object + " attribute " + name;
  const std::string accepted =
      kind == Kind::kFloat64 ? "; accepted one float64 number" : "; accepted one int64 number";
  if (!reader.has(object)) throw reader.error(object, "missing group" + accepted + " in it");
  try {
    const H5::Group group = file.openGroup(object);
    if (!group.attrExists(name)) throw reader.error(field, "missing" + accepted);
    const H5::Attribute attribute = group.openAttribute(name);
    const H5::DataType type = attribute.getDataType();
    if (!converts_exactly(kind, type.getId()))
      throw reader.error(field, "has type " + describe_type(type.getId()) + accepted);
    const hssize_t count = attribute.getSpace().getSimpleExtentNpoints();
    if (count != 1 || attribute.getSpace().getSimpleExtentNdims() > 1)
      throw reader.error(field,
                         "has shape " + format_shape(extent_of(attribute.getSpace())) + accepted);
    T value{};
    attribute.read(memory_type(kind), &value);
    return value;
  } catch (const H5::Exception& e) {
    throw reader.error(field, "cannot read (" + detail(e) + ")" + accepted);
  }
}

template <class T>
void write_number_attribute(Writer& writer, H5::H5File& file, const std::string& object,
                            const std::string& name, const T& value, const H5::PredType& type,
                            const H5::PredType& memory) {
  try {
    const H5::Group g = file.openGroup(object);
    g.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(memory, &value);
  } catch (const H5::Exception& e) {
    throw writer.error(object + " attribute " + name,
                       "cannot write the number attribute (" + detail(e) +
                           "); accepted a non-empty attribute name and a writable file");
  }
}

}  // namespace

double Reader::read_float64_attribute(const std::string& object, const std::string& name) const {
  return read_number_attribute<double>(*this, file_, object, name, Kind::kFloat64);
}

std::int64_t Reader::read_int64_attribute(const std::string& object,
                                          const std::string& name) const {
  return read_number_attribute<std::int64_t>(*this, file_, object, name, Kind::kInt64);
}

void Writer::write_float64_attribute(const std::string& object, const std::string& name,
                                     double value) {
  write_number_attribute(*this, *file_, object, name, value, H5::PredType::IEEE_F64LE,
                         H5::PredType::NATIVE_DOUBLE);
}

void Writer::write_int64_attribute(const std::string& object, const std::string& name,
                                   std::int64_t value) {
  write_number_attribute(*this, *file_, object, name, value, H5::PredType::STD_I64LE,
                         H5::PredType::NATIVE_INT64);
}

}  // namespace sgda::hdf5
