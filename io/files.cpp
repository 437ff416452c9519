#include "sgda/io/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "sgda/error.hpp"

namespace sgda {
namespace {

namespace fs = std::filesystem;

// "a FIFO", "a character device", ... for a file that is not regular.
std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

InputError path_error(const std::string& where, const std::string& path,
                      const std::string& problem) {
  if (where.empty() || where == path) return input_error(path, "", problem);
  return input_error(where, path.empty() ? "''" : path, problem);
}

std::string mebibytes(std::uintmax_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

void check_status(const struct stat& st, const std::string& path, const std::string& where,
                  const std::string& accepted, std::uintmax_t max_bytes) {
  if (!S_ISREG(st.st_mode))
    throw path_error(where, path,
                     "is " + kind_of(st.st_mode) + "; accepted " + accepted + " (a regular file)");
  if (max_bytes > 0 && static_cast<std::uintmax_t>(st.st_size) > max_bytes)
    throw path_error(where, path,
                     "is " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                         mebibytes(max_bytes) + "; accepted " + accepted + " of at most " +
                         mebibytes(max_bytes));
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  if (pid == static_cast<long>(::getpid())) return true;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

void check_input_file(const std::string& path, const std::string& where,
                      const std::string& accepted, std::uintmax_t max_bytes) {
  if (path.empty()) throw path_error(where, path, "is empty; accepted " + accepted);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int code = errno;
    if (code == ENOENT || code == ENOTDIR)
      throw path_error(where, path, "file not found; accepted " + accepted);
    throw path_error(
        where, path,
        std::string("cannot be read (") + std::strerror(code) + "); accepted " + accepted);
  }
  check_status(st, path, where, accepted, max_bytes);
}

std::string read_text_file(const std::string& path, const std::string& accepted) {
  check_input_file(path, path, accepted, kMaxTextFileBytes);
  // O_NONBLOCK: a FIFO swapped in after the check cannot make open() wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw input_error(path, "",
                      std::string("cannot be read (") + std::strerror(errno) +
                          "); accepted a readable " + accepted);
  std::string text;
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0)
      throw input_error(path, "", "cannot be read; accepted a readable " + accepted);
    check_status(st, path, path, accepted, kMaxTextFileBytes);
    char buffer[65536];
    while (true) {
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0)
        throw input_error(path, "",
                          std::string("cannot be read (") + std::strerror(errno) +
                              "); accepted a readable " + accepted);
      if (got == 0) break;
      text.append(buffer, static_cast<std::size_t>(got));
      if (text.size() > kMaxTextFileBytes)  // grew while being read
        throw input_error(path, "",
                          "is more than the limit of " + mebibytes(kMaxTextFileBytes) +
                              "; accepted " + accepted + " of at most " +
                              mebibytes(kMaxTextFileBytes));
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return text;
}

bool same_file(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void check_output_file(const std::string& path, const std::string& where, bool force,
                       const std::vector<std::string>& inputs, const std::string& exists_hint) {
  if (path.empty()) throw input_error(where, "", "is empty; accepted a file path");
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw input_error(
        where, "",
        "folder not found: " + parent.string() + "; accepted a path in an existing folder");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // a new file
  if (S_ISDIR(st.st_mode))
    throw input_error(where, "", "is a directory: " + path + "; accepted a file path");
  if (!S_ISREG(st.st_mode))
    throw path_error(where, path,
                     "is " + kind_of(st.st_mode) +
                         ", which writing would replace by a regular file; accepted a new or "
                         "regular file path (also with --force)");
  for (const std::string& input : inputs)
    if (same_file(path, input))
      throw path_error(where, path,
                       "is the same file as the input " + input +
                           "; accepted an output that is none of the command's inputs");
  if (!force && !exists_hint.empty())
    throw path_error(where, path, "exists; accepted a new file, or " + exists_hint);
}

namespace {

InputError write_error(const std::string& path, const std::string& shown, int code) {
  const bool full = code == ENOSPC || code == EDQUOT;
  return input_error(shown, "",
                     "cannot write " + path + " (" +
                         (full ? std::string("disk full: ENOSPC, no space left on device")
                               : std::string(std::strerror(code))) +
                         "); accepted a writable path in a folder with free space");
}

}  // namespace

bool write_new_file(const std::string& path, std::size_t size,
                    const std::function<bool(char* destination)>& fill, const std::string& shown) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw write_error(path, shown, errno);
  const int reserved = size == 0 ? EINVAL : ::posix_fallocate(fd, 0, static_cast<off_t>(size));
  if (reserved == ENOSPC || reserved == EDQUOT) {
    ::close(fd);
    throw write_error(path, shown, reserved);
  }
  void* map =
      reserved == 0 ? ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (map == MAP_FAILED) {  // no reservation (a file system without it) or no mapping
    ::close(fd);
    std::vector<char> buffer(size);
    if (!fill(buffer.data())) return false;
    write_new_file(path, buffer.data(), size, shown);
    return true;
  }
  const bool filled = fill(static_cast<char*>(map));
  ::munmap(map, size);
  if (::close(fd) != 0) throw write_error(path, shown, errno);
  return filled;
}

void write_new_file(const std::string& path, const void* data, std::size_t size,
                    const std::string& shown) {
  const auto fail = [&](int code) { return write_error(path, shown, code); };
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw fail(errno);
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t done = ::write(fd, bytes, size);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) {
      const int code = done < 0 ? errno : ENOSPC;
      ::close(fd);
      throw fail(code);
    }
    bytes += done;
    size -= static_cast<std::size_t>(done);
  }
  if (::close(fd) != 0) throw fail(errno);
}

int remove_stale_temporaries(const std::string& path) {
  const fs::path target(path);
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = target.filename().string() + ".tmp-";
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    if (process_alive(std::stol(digits))) continue;
    std::error_code remove_ec;
    if (it->is_regular_file(remove_ec) && fs::remove(it->path(), remove_ec)) ++removed;
  }
  return removed;
}

OutputClaim::OutputClaim(const std::string& path, const std::string& where)
    : lock_path_(path + ".lock") {
  // A lock file may be unlinked by the claim that holds it just as another opens it: the lock
  // then counts only if the file locked is still the one at lock_path_.
  for (int attempt = 0; attempt < 100; ++attempt) {
    fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0)
      throw path_error(where, path,
                       "cannot create the lock file " + lock_path_ + " (" + std::strerror(errno) +
                           "); accepted a path in a writable folder");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int code = errno;
      ::close(fd_);
      fd_ = -1;
      if (code == EWOULDBLOCK)
        throw path_error(where, path,
                         "is being written by another sgda process (it holds " + lock_path_ +
                             "); accepted an output no other run is writing");
      throw path_error(where, path,
                       "cannot lock " + lock_path_ + " (" + std::strerror(code) +
                           "); accepted a path in a folder that supports file locks");
    }
    struct stat held {
    }, now{};
    if (::fstat(fd_, &held) == 0 && ::stat(lock_path_.c_str(), &now) == 0 &&
        held.st_dev == now.st_dev && held.st_ino == now.st_ino)
      break;
    ::close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0)
    throw path_error(where, path,
                     "cannot claim " + lock_path_ + "; accepted an output no other run is writing");
  remove_stale_temporaries(path);
}

OutputClaim::~OutputClaim() { release(); }

OutputClaim::OutputClaim(OutputClaim&& other) noexcept
    : lock_path_(std::move(other.lock_path_)), fd_(std::exchange(other.fd_, -1)) {}

OutputClaim& OutputClaim::operator=(OutputClaim&& other) noexcept {
  if (this != &other) {
    release();
    lock_path_ = std::move(other.lock_path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void OutputClaim::release() {
  if (fd_ < 0) return;
  ::unlink(lock_path_.c_str());  // while still locked: a waiting claim retries on a new file
  ::close(fd_);
  fd_ = -1;
}

}  // namespace sgda
