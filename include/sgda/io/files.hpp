// The checks every file sgda reads or writes goes through (docs/file-formats.md, "How sgda reads
// and writes files"): inputs are regular files, text inputs are at most 16 MiB, outputs are
// regular files or new, never an input of the same command, and claimed while they are written.
// Every refusal is an InputError: one line naming where the path was given, the path and what
// is accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sgda {

// The largest problem or experiment file (TOML) read: 16 MiB.
inline constexpr std::uintmax_t kMaxTextFileBytes = std::uintmax_t{16} << 20;

// Throws unless `path` names an existing regular file (symbolic links followed) of at most
// `max_bytes` bytes (0: any size). `where` prefixes the message ("run.toml:3: problem.file: "
// style, without the colon), `accepted` says what is accepted ("a TOML problem file").
// FIFOs, devices and folders are refused before anything opens them, so nothing blocks.
void check_input_file(const std::string& path, const std::string& where,
                      const std::string& accepted, std::uintmax_t max_bytes = 0);

// The whole text of `path` after check_input_file(path, path, accepted, kMaxTextFileBytes); the
// file is opened without blocking and checked again on the open descriptor.
std::string read_text_file(const std::string& path, const std::string& accepted);

// Whether `a` and `b` name the same existing file (same device and inode; links followed).
bool same_file(const std::string& a, const std::string& b);

// What an output of a command may be. Throws InputError ("<where>: <path>: ...") when
//   - the path is empty, names a folder, or lies in a folder that does not exist;
//   - it exists and is not a regular file (a device, FIFO, socket): refused even with force,
//     since writing would replace the node by a regular file;
//   - it exists and `force` is false (`exists_hint` says what to do instead, e.g. "--force to
//     overwrite it"; empty: the output may exist, as when a command resumes it);
//   - it is the same file (device and inode) as one of `inputs` (empty entries are skipped).
void check_output_file(const std::string& path, const std::string& where, bool force,
                       const std::vector<std::string>& inputs, const std::string& exists_hint);

// Writes `size` bytes at `data` into the file `path`, created or truncated, with write(2).
// Throws an InputError naming `shown` (the path the user gave; `path` may be its temporary) when
// it cannot, a full disk as "disk full: ENOSPC, no space left on device"; the caller removes
// what was written.
void write_new_file(const std::string& path, const void* data, std::size_t size,
                    const std::string& shown);
// The same for `size` bytes that fill(destination) produces: the space is reserved first
// (posix_fallocate, so a full disk is found before anything is written) and fill writes
// straight into the file's pages (a shared mapping), so a large file is never also a buffer in
// memory; where the file system cannot reserve space, through a buffer and write(2). Returns
// false, the file left for the caller to remove, when fill returns false.
bool write_new_file(const std::string& path, std::size_t size,
                    const std::function<bool(char* destination)>& fill, const std::string& shown);

// Removes `path`.tmp-<pid> files left by processes that no longer run (a kill -9 during a
// write); temporaries of running processes are kept. Returns how many were removed.
int remove_stale_temporaries(const std::string& path);

// A claim on an output for as long as the object lives: an advisory lock (flock) on the lock
// file `path`.lock, created beside it and removed when the claim is released. A second claim on
// the same output, by this or another process, is refused with an InputError naming `where`;
// the kernel drops the lock when the process ends in any way, so a killed run leaves at most a
// lock file that the next claim takes over. Claiming also removes stale temporaries of `path`.
class OutputClaim {
 public:
  OutputClaim() = default;
  OutputClaim(const std::string& path, const std::string& where);
  ~OutputClaim();
  OutputClaim(OutputClaim&& other) noexcept;
  OutputClaim& operator=(OutputClaim&& other) noexcept;
  OutputClaim(const OutputClaim&) = delete;
  OutputClaim& operator=(const OutputClaim&) = delete;

  // Gives the claim up now (the destructor does the same).
  void release();

 private:
  std::string lock_path_;
  int fd_ = -1;
};

}  // namespace sgda
