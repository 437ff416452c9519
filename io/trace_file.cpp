#include "sgda/io/trace_file.hpp"

#include <type_traits>

#include "hdf5_util.hpp"
#include "sgda/error.hpp"
#include "sgda/version.hpp"

namespace sgda {
namespace {

// The one list of Trace columns, for both writing and reading.
template <class TraceT, class F>
void for_each_column(TraceT& trace, F&& f) {
  f("iteration", trace.iteration);
  f("sample_evaluations", trace.sample_evaluations);
  f("coordinate_evaluations", trace.coordinate_evaluations);
  f("epochs", trace.epochs);
  f("bits", trace.bits);
  f("wall_time", trace.wall_time);
  f("relative_distance_sq", trace.relative_distance_sq);
  f("residual_sq", trace.residual_sq);
  f("step_size", trace.step_size);
}

template <class Column>
constexpr bool kIsInt64 = std::is_same_v<typename Column::value_type, std::int64_t>;

}  // namespace

void save_run(const std::string& path, const Summary& summary, const Settings& settings) {
  const std::size_t rows = summary.trace.size();
  for_each_column(summary.trace, [&](const char* name, const auto& column) {
    if (column.size() != rows)
      throw input_error(path, std::string("/trace/") + name,
                        "has " + std::to_string(column.size()) + " rows but /trace/iteration has " +
                            std::to_string(rows) + "; accepted columns of equal length");
  });

  // The run's own facts win over settings of the same name: they describe this file.
  Settings attributes = settings;
  attributes["sgda_version"] = kVersion;
  attributes["termination"] = to_string(summary.reason);
  attributes["message"] = summary.message;
  attributes["method_description"] = summary.method;
  for (const auto& [key, value] : attributes)
    if (key.empty())
      throw input_error(path, "settings", "has an empty key; accepted non-empty setting names");

  hdf5::write_atomically(path, [&](hdf5::Writer& file) {
    file.create_group("/trace");
    for_each_column(summary.trace, [&](const char* name, const auto& column) {
      const std::string dataset = std::string("/trace/") + name;
      if constexpr (kIsInt64<std::decay_t<decltype(column)>>)
        file.write_int64(dataset, {rows}, column.data());
      else
        file.write_float64(dataset, {rows}, column.data());
    });
    file.write_float64("/x_final", {static_cast<hsize_t>(summary.x.size())}, summary.x.data());
    for (const auto& [key, value] : attributes) file.write_string_attribute(key, value);
  });
}

RunRecord load_run(const std::string& path) {
  const hdf5::Reader file(path);
  RunRecord record;
  // Other attribute types may be added by other tools; settings are the strings.
  for (const std::string& name : file.attribute_names())
    if (file.is_string_attribute(name)) record.settings[name] = file.read_string_attribute(name);

  bool first = true;
  hsize_t rows = 0;
  for_each_column(record.trace, [&](const char* name, auto& column) {
    const std::string dataset = std::string("/trace/") + name;
    constexpr bool is_int = kIsInt64<std::decay_t<decltype(column)>>;
    const std::string type = is_int ? "int64" : "float64";
    const std::string rows_text =
        first ? "" : " with T = " + std::to_string(rows) + " as in /trace/iteration";
    auto array = [&] {
      if constexpr (is_int)
        return file.read_int64(dataset, 1, type + " [T]" + rows_text);
      else
        return file.read_float64(dataset, 1, type + " [T]" + rows_text);
    }();
    if (first) rows = array.shape[0];
    file.require_shape(dataset, array.shape, {rows}, type + " [T]" + rows_text);
    column = std::move(array.values);
    first = false;
  });

  const hdf5::Array<double> x = file.read_float64("/x_final", 1, "float64 [D]");
  record.x_final = Eigen::Map<const Vector>(x.values.data(), static_cast<Index>(x.shape[0]));
  return record;
}

}  // namespace sgda
